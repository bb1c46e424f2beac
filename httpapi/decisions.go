package httpapi

import (
	"net/http"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/jsonappend"
	"github.com/epiloguehq/epilogue/internal/jsondecode"
)

// decisionOffer is a chosen offer as the browser sees it: what to render (offer_id, kind,
// title, body, image_url, cta, action) and the token that attributes events to it. It points at
// the snapshot's offer instead of copying its fields: the answer is written by hand (appendJSON),
// and a copy of every field per offer was a tenth of a decision request's garbage.
type decisionOffer struct {
	offer *epilogue.Offer
	token string
}

func (o decisionOffer) MarshalJSON() ([]byte, error) { return o.appendJSON(nil), nil }

type decisionResponse struct {
	DecisionID    string              `json:"decision_id"`
	Arm           string              `json:"arm"`
	Offers        []decisionOffer     `json:"offers"`
	NoOfferReason *string             `json:"no_offer_reason"`
	ModelVersion  string              `json:"model_version"`
	Candidates    *[]epilogue.Verdict `json:"candidates,omitempty"` // a pointer: explain answers [] when the shop has no offers
}

func (s *Server) createDecision(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r.Context())
	var req epilogue.DecisionRequest
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	body, err := readBodyInto(w, r, (*buf)[:0])
	// The common structured shape has a hand-written decoder; anything else (and every error
	// message) is json.Unmarshal's. Without UseNumber: FlatAttributes, the one field that
	// needs it, sees to it itself. Decoding copies what it keeps, so the buffer is free again.
	if err == nil && !epilogue.DecodeRequestFast(body, &req) {
		req = epilogue.DecisionRequest{}
		err = jsondecode.Decode(body, &req, jsondecode.Options{What: "request body"})
	}
	if body != nil && cap(body) <= 64<<10 { // an odd large body is not kept in the pool
		*buf = body[:0]
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := req.Normalize(); err != nil {
		s.fail(w, r, err)
		return
	}
	// A browser never learns about other offers: explain is for secret keys only.
	explain := req.Explain && c.key.Kind == epilogue.KeySecret
	req.Explain = false
	res, err := s.engine.Decide(c.key.ShopID, &req, explain)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := res.Decision
	out := decisionResponse{DecisionID: d.ID, Arm: d.Arm, Offers: make([]decisionOffer, len(res.Offers)), ModelVersion: d.ModelVersion}
	for i, sh := range res.Offers {
		out.Offers[i] = decisionOffer{offer: sh.Offer, token: sh.Token}
	}
	if d.NoOfferReason != "" {
		out.NoOfferReason = &d.NoOfferReason
	}
	if explain {
		c := res.Candidates
		if c == nil {
			c = []epilogue.Verdict{}
		}
		out.Candidates = &c
		writeJSON(w, http.StatusOK, &out)
		return
	}
	// Every page view asks for a decision: the answer is written by hand (see appendJSON).
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	b := out.appendJSON((*buf)[:0])
	w.Write(append(b, '\n'))
	if cap(b) <= 64<<10 {
		*buf = b[:0]
	}
}

// appendJSON writes what json.Marshal would (without candidates), without reflection.
func (r *decisionResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"decision_id":`...)
	b = jsonappend.String(b, r.DecisionID)
	b = append(b, `,"arm":`...)
	b = jsonappend.String(b, r.Arm)
	b = append(b, `,"offers":[`...)
	for i, o := range r.Offers {
		if i > 0 {
			b = append(b, ',')
		}
		b = o.appendJSON(b)
	}
	b = append(b, `],"no_offer_reason":`...)
	if r.NoOfferReason == nil {
		b = append(b, "null"...)
	} else {
		b = jsonappend.String(b, *r.NoOfferReason)
	}
	b = append(b, `,"model_version":`...)
	b = jsonappend.String(b, r.ModelVersion)
	return append(b, '}')
}

func (o decisionOffer) appendJSON(b []byte) []byte {
	f := o.offer
	b = append(b, `{"offer_id":`...)
	b = jsonappend.String(b, f.ID)
	b = append(b, `,"kind":`...)
	b = jsonappend.String(b, f.Kind)
	b = append(b, `,"title":`...)
	b = jsonappend.String(b, f.Title)
	b = append(b, `,"body":`...)
	b = jsonappend.String(b, f.Body)
	b = append(b, `,"image_url":`...)
	b = jsonappend.String(b, f.ImageURL)
	b = append(b, `,"cta":`...)
	b = jsonappend.String(b, f.CTA)
	b = append(b, `,"action":`...)
	b = appendAction(b, &f.Action)
	b = append(b, `,"token":`...)
	b = jsonappend.String(b, o.token)
	return append(b, '}')
}

func appendAction(b []byte, a *epilogue.Action) []byte {
	b = append(b, `{"type":`...)
	b = jsonappend.String(b, a.Type)
	for _, f := range [...]struct{ name, v string }{{"url", a.URL}, {"sku", a.SKU}, {"product_id", a.ProductID}} {
		if f.v != "" {
			b = append(append(append(b, `,"`...), f.name...), `":`...)
			b = jsonappend.String(b, f.v)
		}
	}
	if a.Price != 0 {
		b = append(b, `,"price":"`...)
		b = append(b, a.Price.String()...)
		b = append(b, '"')
	}
	if a.Question != "" {
		b = append(b, `,"question":`...)
		b = jsonappend.String(b, a.Question)
	}
	if len(a.Choices) > 0 {
		b = jsonappend.Strings(append(b, `,"choices":`...), a.Choices)
	}
	return append(b, '}')
}

func (s *Server) getDecision(w http.ResponseWriter, r *http.Request) {
	d, err := s.store.Decision(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
