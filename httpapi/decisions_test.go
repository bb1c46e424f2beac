package httpapi

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/epiloguehq/epilogue"
)

// wireOffer is an answer's offer as encoding/json writes it from tagged fields: the reference
// for the hand-written encoder.
type wireOffer struct {
	OfferID  string          `json:"offer_id"`
	Kind     string          `json:"kind"`
	Title    string          `json:"title"`
	Body     string          `json:"body"`
	ImageURL string          `json:"image_url"`
	CTA      string          `json:"cta"`
	Action   epilogue.Action `json:"action"`
	Token    string          `json:"token"`
}

// The hand-written answer must say what encoding/json says: decode both and compare.
func TestDecisionAnswerEncoderMatchesEncodingJSON(t *testing.T) {
	reason := epilogue.ReasonAllBelowReserve
	offers := []decisionOffer{
		{offer: &epilogue.Offer{ID: "off_1", Kind: "cross_sell", Title: `Beans "fresh" <20% off> & more`, Body: "line\nbreak \xff ☕", ImageURL: "https://x.example/a.jpg?a=1&b=2",
			CTA: "Add", Action: epilogue.Action{Type: "add_to_order", SKU: "BEANS-1", ProductID: "p1", Price: 12_500_000}}, token: "tok.sig"},
		{offer: &epilogue.Offer{ID: "off_2", Kind: "survey", Action: epilogue.Action{Type: "survey", Question: "How did we do?", Choices: []string{"great", "ok"}}}},
		{offer: &epilogue.Offer{ID: "off_3", Kind: "partner", Action: epilogue.Action{Type: "link", URL: "https://partner.example/?q=\u2028"}}},
	}
	for _, r := range []decisionResponse{
		{DecisionID: "dec_1", Arm: epilogue.ArmPolicy, ModelVersion: "blr-1-42", Offers: offers},
		{DecisionID: "dec_2", Arm: epilogue.ArmHoldout, Offers: []decisionOffer{}, NoOfferReason: &reason},
	} {
		fast := r.appendJSON(nil)
		wire := struct {
			DecisionID    string      `json:"decision_id"`
			Arm           string      `json:"arm"`
			Offers        []wireOffer `json:"offers"`
			NoOfferReason *string     `json:"no_offer_reason"`
			ModelVersion  string      `json:"model_version"`
		}{DecisionID: r.DecisionID, Arm: r.Arm, Offers: []wireOffer{}, NoOfferReason: r.NoOfferReason, ModelVersion: r.ModelVersion}
		for _, o := range r.Offers {
			f := o.offer
			wire.Offers = append(wire.Offers, wireOffer{OfferID: f.ID, Kind: f.Kind, Title: f.Title, Body: f.Body, ImageURL: f.ImageURL,
				CTA: f.CTA, Action: f.Action, Token: o.token})
		}
		slow, err := json.Marshal(&wire)
		if err != nil {
			t.Fatal(err)
		}
		// The explain path marshals decisionResponse itself: it must agree too.
		if viaMarshal, err := json.Marshal(&r); err != nil || !jsonEqual(t, viaMarshal, slow) {
			t.Fatalf("json.Marshal(decisionResponse) differs (%v):\n%s\n%s", err, viaMarshal, slow)
		}
		if !jsonEqual(t, fast, slow) {
			t.Fatalf("encoders differ:\n%s\n%s", fast, slow)
		}
	}
}

func jsonEqual(t *testing.T, x, y []byte) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(x, &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, x)
	}
	if err := json.Unmarshal(y, &b); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, y)
	}
	return reflect.DeepEqual(a, b)
}
