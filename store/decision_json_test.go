package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
)

// The hand-written encoder must say exactly what encoding/json would: decode both and compare.
func TestDecisionDataEncoderMatchesEncodingJSON(t *testing.T) {
	d := &epilogue.Decision{
		ID: "dec_1", ShopID: "s1", PlacementID: "confirmation", Surface: "confirmation", Arm: "policy",
		CustomerKey: "id:cust\t42", ConfirmationRef: "1001", Time: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Offers:        []epilogue.ShownOffer{{OfferID: "off_1", Position: 0, Score: 0.125, Propensity: 0.5}},
		Candidates:    []epilogue.Verdict{{OfferID: "off_1", Verdict: "chosen", Score: 0.25}, {OfferID: "off_\"2\"", Verdict: "filtered", Reason: "below_reserve"}},
		Filtered:      map[string]int{"paused": 3, "targeting:countries": 7},
		NoOfferReason: "",
		ModelVersion:  "blr-1-42",
		Latency:       1234 * time.Microsecond,
		Request: &epilogue.DecisionRequest{
			Placement:   "confirmation",
			Transaction: epilogue.Transaction{ConfirmationRef: "1001", Amount: 499 * epilogue.Micro, Currency: "USD", PaymentType: "card"},
			Customer: epilogue.CustomerRef{ID: "cust\t42", EmailSHA256: "ab", Type: "new",
				Attributes: map[string]string{"tier": "gold", "odd\x01key": "quote \" backslash \\ newline \n bad \xff utf8 ☕"}},
			Cart:    []epilogue.CartItem{{SKU: "X1", ProductID: "p1", Category: "coffee machines", Price: 1_500_000, Quantity: 2}},
			Context: epilogue.RequestContext{Device: "mobile", Country: "US", Locale: "en-us", PageURL: "https://shop.example/thanks?a=1&b=<2>"},
		},
		History:   &epilogue.History{Orders: 2, Categories: []string{"grinders"}, Engaged: []string{"off_9"}},
		Returning: true,
	}
	for _, dd := range []*epilogue.Decision{d, {Arm: "holdout"}} {
		var fast, slow decisionLine
		out := appendDecisionLine(nil, dd)
		if err := json.Unmarshal(out, &fast); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		ref, _ := json.Marshal(decisionLine{ID: dd.ID, PlacementID: dd.PlacementID, Surface: dd.Surface, Arm: dd.Arm,
			CustomerKey: dd.CustomerKey, ConfirmationRef: dd.ConfirmationRef, Time: micros(dd.Time), decisionData: decisionData{Offers: dd.Offers, Candidates: dd.Candidates, Filtered: dd.Filtered, NoOfferReason: dd.NoOfferReason,
				ModelVersion: dd.ModelVersion, Latency: dd.Latency, Request: dd.Request, History: dd.History, Returning: dd.Returning}})
		json.Unmarshal(ref, &slow)
		// (The fast encoder keeps scores to six significant digits; these have fewer.)
		if !reflect.DeepEqual(fast, slow) {
			a, _ := json.Marshal(fast)
			b, _ := json.Marshal(slow)
			t.Fatalf("encoders differ:\n%s\n%s", a, b)
		}
	}
}
