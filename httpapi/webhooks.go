package httpapi

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/connect/easypost"
	"github.com/epiloguehq/epilogue/connect/shopify"
	"github.com/epiloguehq/epilogue/track"
)

// maxWebhookBody is the largest webhook accepted: a Shopify order with hundreds of lines is far
// larger than any API request.
const maxWebhookBody = 4 << 20

// webhookShop returns the shop a webhook URL names, from the in-memory snapshot when it is
// there (the hot path reads no database) and from the database for a shop created moments ago.
// A shop that does not exist is a shop without secrets: its webhooks fail to verify exactly as
// a wrong signature does, so an unsigned caller cannot tell which shops exist.
func (s *Server) webhookShop(r *http.Request) (*epilogue.Shop, error) {
	id := r.PathValue("shop_id")
	if snap := s.engine.Snapshot(id); snap != nil {
		return snap.Shop, nil
	}
	shop, err := s.store.Shop(r.Context(), id)
	if epilogue.ErrorCode(err) == epilogue.ENotFound || !epilogue.ValidExternalID(id) {
		return &epilogue.Shop{ID: id}, nil
	}
	return shop, err
}

// readWebhook reads a raw body, which the signature covers byte for byte.
func readWebhook(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, epilogue.Errorf(epilogue.ETooLarge, "webhook body exceeds %d bytes", maxWebhookBody)
	case err != nil:
		return nil, epilogue.Errorf(epilogue.EInvalid, "could not read the webhook body")
	}
	return b, nil
}

// webhookAnswer is what a webhook is answered with: what it changed.
type webhookAnswer struct {
	Status    string                 `json:"status"` // processed, ignored
	Order     string                 `json:"order,omitempty"`
	Shipments []track.ShipmentResult `json:"shipments,omitempty"`
	Refunds   []string               `json:"refunds,omitempty"`
}

// shopifyWebhook takes Shopify's orders, fulfillments, fulfillment events and refunds. It
// carries no API key: the HMAC of the body under the shop's webhook secret is the proof. Nothing
// is stored unless it verifies; the answer is 200 once the change is durable, so a webhook
// Shopify retries (or sends out of order) changes nothing twice.
func (s *Server) shopifyWebhook(w http.ResponseWriter, r *http.Request) {
	s.webhook(w, r, func(shop *epilogue.Shop, body []byte, now time.Time) (*track.Update, error) {
		if err := shopify.Verify(body, r.Header.Get("X-Shopify-Hmac-Sha256"), shop.Settings.ShopifyWebhookSecret); err != nil {
			return nil, err
		}
		return shopify.Parse(shop.ID, r.Header.Get("X-Shopify-Topic"), body, now)
	})
}

// easypostWebhook takes EasyPost's tracker events, signed with the shop's EasyPost secret.
func (s *Server) easypostWebhook(w http.ResponseWriter, r *http.Request) {
	s.webhook(w, r, func(shop *epilogue.Shop, body []byte, now time.Time) (*track.Update, error) {
		if err := easypost.Verify(body, r.Header.Get("X-Hmac-Signature"), shop.Settings.EasypostWebhookSecret); err != nil {
			return nil, err
		}
		return easypost.Parse(shop.ID, body, now)
	})
}

// webhook finds the shop, reads the body, lets parse verify and read it, and commits the update.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request, parse func(*epilogue.Shop, []byte, time.Time) (*track.Update, error)) {
	shop, err := s.webhookShop(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readWebhook(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := parse(shop, body, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if u == nil {
		writeJSON(w, http.StatusOK, webhookAnswer{Status: track.Ignored})
		return
	}
	res, err := s.ingest(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webhookAnswer{Status: "processed", Order: res.Order, Shipments: res.Shipments, Refunds: res.Refunds})
}
