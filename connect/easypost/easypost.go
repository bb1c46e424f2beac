// Package easypost reads EasyPost's tracker webhooks: it verifies their signature and turns a
// tracker's status and scans into an update of the shipments with its tracking number. It does
// no I/O.
package easypost

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/connect/internal/payload"
	"github.com/epiloguehq/epilogue/track"
)

// signaturePrefix starts the X-Hmac-Signature header.
const signaturePrefix = "hmac-sha256-hex="

// Verify checks the X-Hmac-Signature header, "hmac-sha256-hex=" and the hex HMAC-SHA256 of the
// raw body under the shop's webhook secret. (EasyPost normalises the secret to Unicode NFKD
// first; for the ASCII secrets people use that changes nothing.)
func Verify(body []byte, header, secret string) error {
	if header == "" {
		return payload.Unauthorized("missing X-Hmac-Signature header")
	}
	h := strings.TrimSpace(header)
	if len(h) < len(signaturePrefix) || !strings.EqualFold(h[:len(signaturePrefix)], signaturePrefix) {
		return payload.Unauthorized("X-Hmac-Signature must be hmac-sha256-hex=<hex digest>")
	}
	// One answer whether the shop is unknown, has no secret or the signature is wrong (see
	// shopify.Verify).
	mac, err := hex.DecodeString(h[len(signaturePrefix):])
	if secret == "" || err != nil || !payload.Verify(body, mac, secret) {
		return payload.Unauthorized("X-Hmac-Signature does not match the body under this webhook URL's shop's easypost_webhook_secret (set with PATCH /v1/settings)")
	}
	return nil
}

// Sign returns the X-Hmac-Signature value of a body (tests).
func Sign(body []byte, secret string) string {
	return signaturePrefix + hex.EncodeToString(payload.Sign(body, secret))
}

type event struct {
	Description string   `json:"description"`
	Result      *tracker `json:"result"`
}

type tracker struct {
	ID              string       `json:"id"`
	TrackingCode    string       `json:"tracking_code"`
	Status          string       `json:"status"`
	Carrier         string       `json:"carrier"`
	PublicURL       string       `json:"public_url"`
	EstDeliveryDate payload.Time `json:"est_delivery_date"`
	UpdatedAt       payload.Time `json:"updated_at"`
	TrackingDetails []detail     `json:"tracking_details"`
}

type detail struct {
	Message          string       `json:"message"`
	Status           string       `json:"status"`
	Datetime         payload.Time `json:"datetime"`
	TrackingLocation *struct {
		City    string `json:"city"`
		State   string `json:"state"`
		Country string `json:"country"`
		Zip     string `json:"zip"`
	} `json:"tracking_location"`
}

// Parse turns an EasyPost Event into an update of the shop, received at now: the tracker's
// scans (its whole history, every time; the store keeps each once) join the timeline of every
// shipment of the shop with the tracker's tracking number. Events other than tracker.created and
// tracker.updated return nil and no error.
func Parse(shopID string, body []byte, now time.Time) (*track.Update, error) {
	if err := payload.Check(body); err != nil {
		return nil, err
	}
	var e event
	if err := payload.Decode(body, &e); err != nil {
		return nil, err
	}
	switch e.Description {
	case "tracker.updated", "tracker.created":
	case "":
		return nil, epilogue.Invalid("description", "is required")
	default:
		return nil, nil
	}
	t := e.Result
	if t == nil {
		return nil, epilogue.Invalid("result", "is required: the tracker")
	}
	code := strings.TrimSpace(t.TrackingCode)
	if code == "" {
		return nil, epilogue.Invalid("result.tracking_code", "is required")
	}
	if len(code) > 128 {
		return nil, epilogue.Invalid("result.tracking_code", "must be at most 128 characters")
	}
	if len(t.TrackingDetails) > track.MaxEvents {
		return nil, epilogue.Invalid("result.tracking_details", "at most %d details", track.MaxEvents)
	}
	now = now.UTC()
	s := epilogue.Shipment{TrackingNumber: code, Carrier: payload.Clip(t.Carrier, 100)}
	if u := strings.TrimSpace(t.PublicURL); strings.HasPrefix(u, "https://") && len(u) <= 2048 {
		s.TrackingURL = u
	}
	if !t.EstDeliveryDate.IsZero() {
		est := t.EstDeliveryDate.Time
		s.EstimatedAt = &est
	}
	seen := map[string]bool{}
	for _, d := range t.TrackingDetails {
		// A detail EasyPost could not classify says nothing about the parcel; as an exception
		// it would tell the customer of a problem there is no sign of. Known scans carry the news.
		if strings.TrimSpace(d.Status) == "unknown" {
			continue
		}
		ev := scan(d.Status, d.Message, track.ClampTime(payload.First(d.Datetime, t.UpdatedAt), now))
		if l := d.TrackingLocation; l != nil {
			ev.Location = payload.Clip(payload.Join(l.City, l.State, l.Country, l.Zip), 200)
		}
		seen[ev.Status] = true
		s.Events = append(s.Events, ev)
	}
	// A tracker's own status is news only when no scan says it; "unknown" with nothing else is a
	// tracker that has heard nothing yet, not a failed parcel.
	if raw := strings.TrimSpace(t.Status); raw != "" && !(raw == "unknown" && len(s.Events) == 0) {
		if ev := scan(raw, "", track.ClampTime(t.UpdatedAt.Time, now)); !seen[ev.Status] {
			s.Events = append(s.Events, ev)
		}
	}
	u := &track.Update{ShopID: shopID, Source: track.SourceEasyPost, ReceivedAt: now,
		Shipments: []track.ShipmentChange{{Shipment: s, ByTracking: true}}}
	return u, u.Validate()
}

// scan maps one EasyPost status (unknown ones to exception, the raw status kept).
func scan(raw, message string, at time.Time) epilogue.ShipmentEvent {
	st, _ := epilogue.MapShipmentStatus("easypost", raw)
	return epilogue.ShipmentEvent{Status: st, RawStatus: payload.Clip(raw, 100), Source: track.SourceEasyPost,
		Message: payload.Clip(message, 1000), Time: at}
}
