package httpapi

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/epiloguehq/epilogue"
)

// The hand-written answer must say what encoding/json says: decode both and compare.
func TestDecisionAnswerEncoderMatchesEncodingJSON(t *testing.T) {
	reason := epilogue.ReasonAllBelowReserve
	for _, r := range []decisionResponse{
		{DecisionID: "dec_1", Arm: epilogue.ArmPolicy, ModelVersion: "blr-1-42", Offers: []decisionOffer{
			{OfferID: "off_1", Kind: "cross_sell", Title: `Beans "fresh" <20% off> & more`, Body: "line\nbreak \xff ☕", ImageURL: "https://x.example/a.jpg?a=1&b=2",
				CTA: "Add", Token: "tok.sig", Action: epilogue.Action{Type: "add_to_order", SKU: "BEANS-1", ProductID: "p1", Price: 12_500_000}},
			{OfferID: "off_2", Kind: "survey", Action: epilogue.Action{Type: "survey", Question: "How did we do?", Choices: []string{"great", "ok"}}},
			{OfferID: "off_3", Kind: "partner", Action: epilogue.Action{Type: "link", URL: "https://partner.example/?q=\u2028"}},
		}},
		{DecisionID: "dec_2", Arm: epilogue.ArmHoldout, Offers: []decisionOffer{}, NoOfferReason: &reason},
	} {
		fast := r.appendJSON(nil)
		slow, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(fast, &a); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, fast)
		}
		json.Unmarshal(slow, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("encoders differ:\n%s\n%s", fast, slow)
		}
	}
}
