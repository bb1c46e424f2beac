package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
)

// clickOffer follows a tracked offer link from a message: it records an engagement with the
// offer (once per link, whatever the number of clicks) and sends the customer on to the
// offer's page. The offer token in the path is signed with the shop's secret, so a forged or
// expired link records nothing and goes nowhere.
func (s *Server) clickOffer(w http.ResponseWriter, r *http.Request) {
	shop, token := r.PathValue("shop"), r.PathValue("token")
	sum := sha256.Sum256([]byte(token))
	ev, err := s.engine.Prepare(shop, decide.EventInput{ID: "click_" + hex.EncodeToString(sum[:12]), Type: epilogue.EventEngagement, Token: token})
	if err != nil {
		s.pageError(w, r, nil, epilogue.Errorf(epilogue.ENotFound, "this offer link is not valid or has expired"), pageView{})
		return
	}
	// An offer with nowhere to go records no click (which could charge its budget). Offers are
	// checked when saved; the target is checked again here, as this is where a javascript: or
	// scheme-relative URL would become a redirect.
	o, err := s.store.Offer(r.Context(), shop, ev.OfferID)
	if err != nil || !epilogue.WebURL(o.Action.URL) {
		s.engine.Release(ev)
		s.pageError(w, r, nil, epilogue.Errorf(epilogue.ENotFound, "this offer is no longer available"), pageView{})
		return
	}
	// A HEAD is a link scanner or a prefetch, not a customer: it is answered, and not counted.
	// A click that cannot be recorded still takes the customer where they wanted to go.
	if r.Method == http.MethodHead {
		s.engine.Release(ev)
	} else if fresh, err := s.events.Submit(r.Context(), ev); err != nil || !fresh[0] {
		s.engine.Release(ev)
		if err != nil {
			s.log.ErrorContext(r.Context(), "recording an offer click", "err", err, "request_id", requestID(r.Context()))
		}
	} else {
		s.engine.Apply(ev)
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, o.Action.URL, http.StatusFound)
}
