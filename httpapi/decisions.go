package httpapi

import (
	"net/http"

	"github.com/epiloguehq/epilogue"
)

// decisionOffer is a chosen offer as the browser sees it: what to render and the token that
// attributes events to it.
type decisionOffer struct {
	OfferID  string          `json:"offer_id"`
	Kind     string          `json:"kind"`
	Title    string          `json:"title"`
	Body     string          `json:"body"`
	ImageURL string          `json:"image_url"`
	CTA      string          `json:"cta"`
	Action   epilogue.Action `json:"action"`
	Token    string          `json:"token"`
}

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
	if err := decode(w, r, &req, false); err != nil {
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
		o := sh.Offer
		out.Offers[i] = decisionOffer{OfferID: o.ID, Kind: o.Kind, Title: o.Title, Body: o.Body, ImageURL: o.ImageURL,
			CTA: o.CTA, Action: o.Action, Token: sh.Token}
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
	}
	writeJSON(w, http.StatusOK, &out)
}

func (s *Server) getDecision(w http.ResponseWriter, r *http.Request) {
	d, err := s.store.Decision(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
