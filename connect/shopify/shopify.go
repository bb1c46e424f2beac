// Package shopify reads Shopify's webhooks: it verifies their signature and turns orders,
// fulfillments, fulfillment events and refunds into updates for the store. It does no I/O.
package shopify

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/connect/internal/payload"
	"github.com/epiloguehq/epilogue/track"
)

// Webhook topics followed (X-Shopify-Topic). Others are acknowledged and ignored.
const (
	TopicOrdersCreate           = "orders/create"
	TopicOrdersUpdated          = "orders/updated"
	TopicOrdersCancelled        = "orders/cancelled"
	TopicOrdersPaid             = "orders/paid"
	TopicOrdersFulfilled        = "orders/fulfilled"
	TopicOrdersPartiallyFilled  = "orders/partially_fulfilled"
	TopicFulfillmentsCreate     = "fulfillments/create"
	TopicFulfillmentsUpdate     = "fulfillments/update"
	TopicFulfillmentEventCreate = "fulfillment_events/create"
	TopicRefundsCreate          = "refunds/create"
)

// Verify checks the X-Shopify-Hmac-Sha256 header: the base64 HMAC-SHA256 of the raw body
// under the shop's webhook secret.
func Verify(body []byte, header, secret string) error {
	if header == "" {
		return payload.Unauthorized("missing X-Shopify-Hmac-Sha256 header")
	}
	// One answer whether the shop is unknown, has no secret or the signature is wrong, so that
	// an unsigned caller learns nothing of which shops exist.
	mac, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if secret == "" || err != nil || !payload.Verify(body, mac, secret) {
		return payload.Unauthorized("X-Shopify-Hmac-Sha256 does not match the body under this webhook URL's shop's shopify_webhook_secret (set with PATCH /v1/settings)")
	}
	return nil
}

// Sign returns the X-Shopify-Hmac-Sha256 value of a body (tests, load generators).
func Sign(body []byte, secret string) string {
	return base64.StdEncoding.EncodeToString(payload.Sign(body, secret))
}

// Parse turns the body of a webhook of topic into an update of the shop, received at now. A
// body may be the webhook's bare object or the REST form wrapped in its resource's key
// ("order", "fulfillment", …). A topic Epilogue does not follow returns nil and no error.
// Structure is checked strictly (a missing id, a number where an object belongs, money that is
// not a decimal are invalid_request naming the field); content leniently (an overlong title is
// cut, a malformed email dropped), since a refused webhook is only retried, unchanged.
func Parse(shopID, topic string, body []byte, now time.Time) (*track.Update, error) {
	if err := payload.Check(body); err != nil {
		return nil, err
	}
	now = now.UTC()
	u := &track.Update{ShopID: shopID, Source: track.SourceShopify, ReceivedAt: now}
	var err error
	switch topic {
	case TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersCancelled, TopicOrdersPaid, TopicOrdersFulfilled, TopicOrdersPartiallyFilled:
		var o order
		if err = decode(body, topic, &o, &o.GID, "Order", "order"); err == nil {
			err = o.into(u, now)
		}
	case TopicFulfillmentsCreate, TopicFulfillmentsUpdate:
		var f fulfillment
		if err = decode(body, topic, &f, &f.GID, "Fulfillment", "fulfillment"); err == nil {
			var c track.ShipmentChange
			if c, err = f.change("", now); err == nil {
				u.Shipments = append(u.Shipments, c)
			}
		}
	case TopicFulfillmentEventCreate:
		var e fulfillmentEvent
		if err = decode(body, topic, &e, &e.GID, "FulfillmentEvent", "fulfillment_event", "event"); err == nil {
			var c track.ShipmentChange
			if c, err = e.change(now); err == nil {
				u.Shipments = append(u.Shipments, c)
			}
		}
	case TopicRefundsCreate:
		var r refund
		if err = decode(body, topic, &r, &r.GID, "Refund", "refund"); err == nil {
			var rf track.Refund
			if rf, err = r.refund("", "", now); err == nil {
				u.Refunds = append(u.Refunds, rf)
			}
		}
	case "":
		return nil, epilogue.Invalid("X-Shopify-Topic", "header is required")
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return u, u.Validate()
}

// Followed reports whether Parse handles a topic.
func Followed(topic string) bool {
	switch topic {
	case TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersCancelled, TopicOrdersPaid, TopicOrdersFulfilled,
		TopicOrdersPartiallyFilled, TopicFulfillmentsCreate, TopicFulfillmentsUpdate, TopicFulfillmentEventCreate, TopicRefundsCreate:
		return true
	}
	return false
}

// decode reads the resource a topic sends (bare or under one of its wrapper keys) into v and
// checks that it is that resource by its admin_graphql_api_id, which decoding sets in *gid
// ("gid://shopify/Fulfillment/255858046" for kind "Fulfillment"), as Shopify's webhooks carry
// it: the signature only proves who sent a body, and a refund read as a fulfillment would become
// a parcel of its order. A body without one (older API versions) is read as its topic says.
func decode(body []byte, topic string, v any, gid *string, kind string, wrappers ...string) error {
	if err := payload.Decode(payload.Unwrap(body, wrappers...), v); err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(*gid, "gid://shopify/")
	if !ok {
		return nil
	}
	if got, _, _ := strings.Cut(rest, "/"); got != kind {
		return epilogue.Invalid("X-Shopify-Topic", "is %s, but the body is a Shopify %s (admin_graphql_api_id %q), not a %s",
			payload.Clip(topic, 100), payload.Clip(got, 100), payload.Clip(*gid, 200), kind)
	}
	return nil
}

// id checks a required id and returns it as a string.
func id(field string, v payload.ID) (string, error) {
	s := string(v)
	if !epilogue.ValidExternalID(s) {
		if s == "" {
			return "", epilogue.Invalid(field, "is required")
		}
		return "", epilogue.Invalid(field, "must be 1 to 128 characters without spaces")
	}
	return s, nil
}

// status maps a Shopify shipment status to the canonical set; an unknown one is an exception,
// with the raw status kept.
func status(raw string) (string, string) {
	s, _ := epilogue.MapShipmentStatus("shopify", raw)
	return s, payload.Clip(raw, 100)
}
