package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue/internal/shareddata"

	"github.com/epiloguehq/epilogue/connect/easypost"
	"github.com/epiloguehq/epilogue/connect/shopify"
	"github.com/epiloguehq/epilogue/httpapi"
)

const issueOrder = `{"id":"1001","customer":{"id":"c1","email":"ana@example.com","first_name":"Ana","locale":"en","timezone":"America/New_York"},
 "items":[{"sku":"X1","title":"Espresso machine","category":"coffee machines","price":"499.00","quantity":1}],
 "total":"499.00","currency":"USD","created_at":"2025-03-14T15:09:26Z"}`

const issueShipment = `{"id":"shp_1","order_id":"1001","carrier":"UPS","tracking_number":"1Z999"}`

// kinds lists a shop's activities as kind[:status].
func (e *env) kinds(shopID string) []string {
	e.t.Helper()
	all, _, err := e.app.db.ActivitiesAfter(context.Background(), 0, 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := []string{}
	for _, a := range all {
		if a.ShopID == shopID {
			k := a.Kind
			if a.Status != "" {
				k += ":" + a.Status
			}
			out = append(out, k)
		}
	}
	return out
}

func sameKinds(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("activities\n got: %v\nwant: %v", got, want)
	}
}

// shopify posts a Shopify webhook to shop's URL, signed with secret.
func (e *env) shopify(shop, topic, secret string, body []byte) resp {
	e.t.Helper()
	return e.call("POST", "/webhooks/shopify/"+shop, "", body, "X-Shopify-Topic", topic, "X-Shopify-Hmac-Sha256", shopify.Sign(body, secret))
}

// secrets sets both webhook secrets of a shop.
func (e *env) secrets(sk, secret string) {
	e.t.Helper()
	r := e.call("PATCH", "/v1/settings", sk, `{"shopify_webhook_secret":"`+secret+`","easypost_webhook_secret":"`+secret+`"}`).must(e.t, 200)
	if r.get("shopify_webhook_secret_set") != true || r.str("shopify_webhook_secret") != "" {
		e.t.Fatalf("settings: %s", r.raw)
	}
}

func TestOrdersAPI(t *testing.T) {
	e := startEnv(t, "")
	r := e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 201)
	if r.str("status") != "created" || r.str("id") != "1001" {
		t.Fatalf("create: %s", r.raw)
	}
	e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 200)
	if r := e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 200); r.str("status") != "unchanged" {
		t.Fatalf("retry: %s", r.raw)
	}
	changed := strings.ReplaceAll(issueOrder, `"499.00"`, `"450.00"`)
	if r := e.call("POST", "/v1/orders", e.a.sk, changed).must(t, 200); r.str("status") != "updated" {
		t.Fatalf("change: %s", r.raw)
	}
	o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200)
	if o.str("total") != "450.00" || o.str("status") != "open" || o.str("customer_id") != "c1" || o.str("items", "0", "category") != "coffee machines" ||
		o.str("created_at") != "2025-03-14T15:09:26Z" || o.str("source") != "api" || o.str("refunded") != "0.00" {
		t.Fatalf("order: %s", o.raw)
	}
	c := e.call("GET", "/v1/customers/c1", e.a.sk, nil).must(t, 200)
	if c.str("email") != "ana@example.com" || c.str("first_name") != "Ana" || c.str("timezone") != "America/New_York" || c.str("locale") != "en" {
		t.Fatalf("customer from the order: %s", c.raw)
	}
	// Refunds through the API.
	e.call("POST", "/v1/orders/1001/refunds", e.a.sk, `{"id":"r1","amount":"50.00"}`).must(t, 201)
	e.call("POST", "/v1/orders/1001/refunds", e.a.sk, `{"id":"r1","amount":"50.00"}`).must(t, 200)
	if o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200); o.str("status") != "partially_refunded" || o.str("refunded") != "50.00" {
		t.Fatalf("refunded: %s", o.raw)
	}
	sameKinds(t, e.kinds(e.a.id), "order_placed", "order_updated", "order_refunded")

	// Tenant isolation: shop b neither sees nor changes shop a's order.
	e.call("GET", "/v1/orders/1001", e.b.sk, nil).mustError(t, 404, "not_found", "")
	if r := e.call("POST", "/v1/orders", e.b.sk, issueOrder).must(t, 201); r.str("status") != "created" {
		t.Fatalf("shop b's own order 1001: %s", r.raw)
	}
	if o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200); o.str("total") != "450.00" {
		t.Fatalf("shop a's order changed: %s", o.raw)
	}
	e.call("POST", "/v1/orders/1001/refunds", e.b.sk, `{"id":"r2","amount":"10.00"}`).must(t, 201)
	if o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200); o.str("refunded") != "50.00" {
		t.Fatalf("shop b's refund reached shop a: %s", o.raw)
	}

	// Bad input names the field.
	for body, field := range map[string]string{
		strings.Replace(issueOrder, `"total":"499.00"`, `"total":499`, 1):                  "total",
		strings.Replace(issueOrder, `"total":"499.00",`, ``, 1):                            "total",
		strings.Replace(issueOrder, `"USD"`, `"usdollars"`, 1):                             "currency",
		strings.Replace(issueOrder, `"price":"499.00",`, ``, 1):                            "items[0].price",
		strings.Replace(issueOrder, `"price":"499.00"`, `"price":"-1.00"`, 1):              "items[0].price",
		strings.Replace(issueOrder, `"quantity":1`, `"quantity":"one"`, 1):                 "items[0].quantity",
		strings.Replace(issueOrder, `"2025-03-14T15:09:26Z"`, `"2999-01-01T00:00:00Z"`, 1): "created_at",
		strings.Replace(issueOrder, `"2025-03-14T15:09:26Z"`, `"last tuesday"`, 1):         "created_at",
		strings.Replace(issueOrder, `"id":"1001"`, `"id":""`, 1):                           "id",
		strings.Replace(issueOrder, `"ana@example.com"`, `"ana"`, 1):                       "customer.email",
		strings.Replace(issueOrder, `"America/New_York"`, `"Mars/Olympus"`, 1):             "customer.timezone",
		strings.Replace(issueOrder, `"id":"c1"`, `"id":"c 1"`, 1):                          "customer.id",
		`{"id":"1","total":"1.00","currency":"USD","status":"refunded"}`:                   "status",
	} {
		e.call("POST", "/v1/orders", e.a.sk, body).mustError(t, 400, "invalid_request", field)
	}
	e.call("POST", "/v1/orders", e.a.sk, `{"id":`).mustError(t, 400, "invalid_request", "")
	e.call("POST", "/v1/orders", "", issueOrder).mustError(t, 401, "unauthorized", "")
	e.call("POST", "/v1/orders", e.a.pk, issueOrder).mustError(t, 403, "forbidden", "")
	e.call("GET", "/v1/orders/1001", e.a.pk, nil).mustError(t, 403, "forbidden", "")
	e.call("POST", "/v1/orders/1001/refunds", e.a.sk, `{"id":"r3","amount":"-5.00"}`).mustError(t, 400, "invalid_request", "amount")
	e.call("POST", "/v1/orders/1001/refunds", e.a.sk, `{"amount":"5.00"}`).mustError(t, 400, "invalid_request", "id")
	e.call("DELETE", "/v1/orders/1001", e.a.sk, nil).mustError(t, 405, "method_not_allowed", "")
}

// TestOrdersFeedDecisions: a placed order makes its customer a returning one for the decision
// engine at once, under both their id and their email.
func TestOrdersFeedDecisions(t *testing.T) {
	e := startEnv(t, "")
	e.call("POST", "/v1/placements", e.a.sk, issuePlacement).must(t, 201)
	e.call("POST", "/v1/offers", e.a.sk, strings.Replace(issueOffer, `"customer_type":"any"`, `"customer_type":"new"`, 1)).must(t, 201)
	ask := func(customer string) resp {
		req := strings.Replace(structuredRequest, `"customer":{"id":"cust_42","email":"Ana@Example.com",`, customer, 1)
		req = strings.Replace(req, `"confirmationref":"1001"`, `"confirmationref":"2002"`, 1)
		return e.call("POST", "/v1/decisions", e.a.sk, req).must(t, 200)
	}
	byID, byEmail := `"customer":{"id":"c1",`, `"customer":{"email":"ana@example.com",`
	if n := len(ask(byID).get("offers").([]any)); n != 1 {
		t.Fatalf("a new customer gets the offer for new customers: %d offers", n)
	}
	e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 201)
	for _, who := range []string{byID, byEmail} {
		if d := ask(who); len(d.get("offers").([]any)) != 0 {
			t.Fatalf("a returning customer (%s) still gets the offer for new customers: %s", who, d.raw)
		}
	}
	// A restart rebuilds the state from the stored orders.
	e.stop()
	e.start()
	if d := ask(byID); len(d.get("offers").([]any)) != 0 {
		t.Fatalf("after a restart: %s", d.raw)
	}
}

func TestShipmentsAPI(t *testing.T) {
	e := startEnv(t, "")
	e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 201)
	if r := e.call("POST", "/v1/shipments", e.a.sk, issueShipment).must(t, 201); r.str("status") != "created" {
		t.Fatalf("create: %s", r.raw)
	}
	if r := e.call("POST", "/v1/shipments", e.a.sk, issueShipment).must(t, 200); r.str("status") != "unchanged" {
		t.Fatalf("again: %s", r.raw)
	}
	post := func(body string, status int) resp {
		return e.call("POST", "/v1/shipments/shp_1/events", e.a.sk, body).must(t, status)
	}
	if r := post(`{"status":"in_transit","time":"2025-03-15T10:00:00Z"}`, 201); r.str("status") != "created" || r.str("shipment_status") != "in_transit" {
		t.Fatalf("in transit: %s", r.raw)
	}
	if r := post(`{"status":"in_transit","time":"2025-03-15T10:00:00Z"}`, 200); r.str("status") != "unchanged" {
		t.Fatalf("the same scan again: %s", r.raw)
	}
	post(`{"status":"Delivered","time":"2025-03-17T10:00:00Z","location":"New York"}`, 201) // a carrier's spelling
	// A late scan joins the timeline but does not move a delivered parcel back.
	if r := post(`{"status":"out_for_delivery","time":"2025-03-17T08:00:00Z"}`, 201); r.str("shipment_status") != "delivered" {
		t.Fatalf("late scan: %s", r.raw)
	}
	post(`{"status":"warp_drive_failure","time":"2025-03-16T08:00:00Z"}`, 201) // unknown: an exception, kept raw
	s := e.call("GET", "/v1/shipments/shp_1", e.a.sk, nil).must(t, 200)
	if s.str("status") != "delivered" || s.str("carrier") != "UPS" || s.str("tracking_number") != "1Z999" || len(s.get("events").([]any)) != 4 ||
		s.str("events", "1", "status") != "exception" || s.str("events", "1", "raw_status") != "warp_drive_failure" ||
		s.str("events", "3", "raw_status") != "Delivered" || s.str("events", "3", "location") != "New York" {
		t.Fatalf("shipment: %s", s.raw)
	}
	l := e.call("GET", "/v1/orders/1001/shipments", e.a.sk, nil).must(t, 200)
	if len(l.get("data").([]any)) != 1 {
		t.Fatalf("order shipments: %s", l.raw)
	}
	sameKinds(t, e.kinds(e.a.id), "order_placed", "shipment_created", "shipment_status:in_transit", "shipment_status:delivered")

	// Shop b can neither read nor add to shop a's shipment.
	e.call("GET", "/v1/shipments/shp_1", e.b.sk, nil).mustError(t, 404, "not_found", "")
	e.call("POST", "/v1/shipments/shp_1/events", e.b.sk, `{"status":"exception"}`).mustError(t, 404, "not_found", "")
	// Shop b has no order 1001: 404, as for the order itself, and nothing of shop a's shows.
	e.call("GET", "/v1/orders/1001/shipments", e.b.sk, nil).mustError(t, 404, "not_found", "")
	if s := e.call("GET", "/v1/shipments/shp_1", e.a.sk, nil).must(t, 200); s.str("status") != "delivered" || len(s.get("events").([]any)) != 4 {
		t.Fatalf("shop a's shipment changed: %s", s.raw)
	}

	e.call("POST", "/v1/shipments/nope/events", e.a.sk, `{"status":"delivered"}`).mustError(t, 404, "not_found", "")
	e.call("POST", "/v1/shipments/shp_1/events", e.a.sk, `{"time":"2025-03-17T10:00:00Z"}`).mustError(t, 400, "invalid_request", "status")
	e.call("POST", "/v1/shipments/shp_1/events", e.a.sk, `{"status":"delivered","time":"soon"}`).mustError(t, 400, "invalid_request", "time")
	e.call("POST", "/v1/shipments/shp_1/events", e.a.sk, `{"status":"delivered","colour":"red"}`).mustError(t, 400, "invalid_request", "colour")
	e.call("POST", "/v1/shipments", e.a.sk, `{"id":"s2"}`).mustError(t, 400, "invalid_request", "order_id")
	e.call("POST", "/v1/shipments", e.a.sk, `{"id":"s 2","order_id":"1001"}`).mustError(t, 400, "invalid_request", "id")
	e.call("POST", "/v1/shipments", e.a.sk, `{"id":"s2","order_id":"1001","events":[{"status":"delivered","time":"x"}]}`).mustError(t, 400, "invalid_request", "events[0].time")
}

func TestShopifyWebhooks(t *testing.T) {
	orderBody := shareddata.Unwrap(t, shareddata.Payload(t, "shopify_orders_create.json"), "order")
	e := startEnv(t, "")
	a := e.a.id

	// Before the shop sets its secret, nothing gets in, and the answer says why.
	r := e.shopify(a, "orders/create", "guess", orderBody)
	r.mustError(t, 401, "unauthorized", "")
	if !strings.Contains(r.str("error", "message"), "shopify_webhook_secret") {
		t.Fatalf("the answer should name the missing secret: %s", r.raw)
	}
	e.secrets(e.a.sk, "whsec_a")
	e.secrets(e.b.sk, "whsec_b")

	// Bad or missing signatures store nothing.
	e.shopify(a, "orders/create", "whsec_b", orderBody).mustError(t, 401, "unauthorized", "")
	e.call("POST", "/webhooks/shopify/"+a, "", orderBody, "X-Shopify-Topic", "orders/create").mustError(t, 401, "unauthorized", "")
	e.call("POST", "/webhooks/shopify/"+a, "", orderBody, "X-Shopify-Topic", "orders/create", "X-Shopify-Hmac-Sha256", "bm9wZQ==").
		mustError(t, 401, "unauthorized", "")
	// Shop b's URL with shop a's signature is refused: each shop's URL checks its own secret.
	e.shopify(e.b.id, "orders/create", "whsec_a", orderBody).mustError(t, 401, "unauthorized", "")
	// A shop that does not exist answers as a wrong signature does: nothing tells it apart.
	nobody := e.shopify("shop_nobody", "orders/create", "whsec_a", orderBody)
	nobody.mustError(t, 401, "unauthorized", "")
	if wrong := e.shopify(e.b.id, "orders/create", "whsec_a", orderBody); string(wrong.raw[:40]) != string(nobody.raw[:40]) ||
		wrong.str("error", "message") != nobody.str("error", "message") {
		t.Fatalf("an unknown shop is told apart: %s against %s", nobody.raw, wrong.raw)
	}
	e.call("GET", "/v1/orders/450789469", e.a.sk, nil).mustError(t, 404, "not_found", "")
	sameKinds(t, e.kinds(a))

	// The order, retried, and its wrapped REST form: one order.
	if r := e.shopify(a, "orders/create", "whsec_a", orderBody).must(t, 200); r.str("order") != "created" || r.str("status") != "processed" {
		t.Fatalf("order: %s", r.raw)
	}
	for _, body := range [][]byte{orderBody, shareddata.Payload(t, "shopify_orders_create.json")} {
		if r := e.shopify(a, "orders/create", "whsec_a", body).must(t, 200); r.str("order") != "unchanged" {
			t.Fatalf("retry: %s", r.raw)
		}
	}
	o := e.call("GET", "/v1/orders/450789469", e.a.sk, nil).must(t, 200)
	if o.str("total") != "409.94" || o.str("customer_id") != "207119551" || o.str("source") != "shopify" || len(o.get("items").([]any)) != 3 {
		t.Fatalf("order: %s", o.raw)
	}
	if c := e.call("GET", "/v1/customers/207119551", e.a.sk, nil).must(t, 200); c.str("email") != "bob.norman@hostmail.com" || c.str("first_name") != "Bob" {
		t.Fatalf("customer: %s", c.raw)
	}
	e.call("GET", "/v1/orders/450789469", e.b.sk, nil).mustError(t, 404, "not_found", "")

	// Scans arriving before their fulfillment, and out of order among themselves.
	inTransit := shareddata.Payload(t, "shopify_fulfillment_events_create_in_transit.json")
	e.shopify(a, "fulfillment_events/create", "whsec_a", shareddata.Unwrap(t, inTransit, "event")).must(t, 200)
	labelPrinted := []byte(`{"id":1,"fulfillment_id":255858046,"order_id":450789469,"status":"label_printed","happened_at":"2013-11-01T10:00:00-04:00"}`)
	e.shopify(a, "fulfillment_events/create", "whsec_a", labelPrinted).must(t, 200)
	e.shopify(a, "fulfillment_events/create", "whsec_a", inTransit).must(t, 200) // retried, wrapped
	e.shopify(a, "fulfillments/create", "whsec_a", shareddata.Payload(t, "shopify_fulfillments_create.json")).must(t, 200)
	s := e.call("GET", "/v1/shipments/255858046", e.a.sk, nil).must(t, 200)
	if s.str("status") != "in_transit" || s.str("tracking_number") != "1Z2345" || s.str("order_id") != "450789469" ||
		s.str("estimated_delivery") != "2013-11-15T22:00:00Z" || len(s.get("events").([]any)) != 2 {
		t.Fatalf("shipment: %s", s.raw)
	}
	delivered := []byte(`{"id":2,"fulfillment_id":255858046,"order_id":450789469,"status":"delivered","happened_at":"2013-11-03T10:00:00-04:00"}`)
	e.shopify(a, "fulfillment_events/create", "whsec_a", delivered).must(t, 200)
	e.shopify(a, "fulfillment_events/create", "whsec_a", delivered).must(t, 200)

	// A refund, retried.
	refund := shareddata.Payload(t, "shopify_refunds_create.json")
	if r := e.shopify(a, "refunds/create", "whsec_a", shareddata.Unwrap(t, refund, "refund")).must(t, 200); r.str("refunds", "0") != "created" {
		t.Fatalf("refund: %s", r.raw)
	}
	e.shopify(a, "refunds/create", "whsec_a", refund).must(t, 200)
	if o := e.call("GET", "/v1/orders/450789469", e.a.sk, nil).must(t, 200); o.str("status") != "partially_refunded" || o.str("refunded") != "209.00" {
		t.Fatalf("after the refund: %s", o.raw)
	}
	// Cancelled.
	cancelled := strings.Replace(string(orderBody), `"cancelled_at": null`, `"cancelled_at": "2008-01-11T11:00:00-05:00"`, 1)
	cancelled = strings.Replace(cancelled, `"updated_at": "2008-01-10T11:00:00-05:00"`, `"updated_at": "2008-01-11T11:00:00-05:00"`, 1)
	e.shopify(a, "orders/cancelled", "whsec_a", []byte(cancelled)).must(t, 200)
	e.shopify(a, "orders/cancelled", "whsec_a", []byte(cancelled)).must(t, 200)
	sameKinds(t, e.kinds(a), "order_placed", "shipment_created", "shipment_status:in_transit", "shipment_status:delivered",
		"order_refunded", "order_cancelled")

	// Malformed payloads with a good signature are 400 naming the field; topics not followed
	// are acknowledged.
	e.shopify(a, "orders/create", "whsec_a", []byte(`{"id":1,"currency":"USD","total_price":12.5.0}`)).mustError(t, 400, "invalid_request", "")
	e.shopify(a, "orders/create", "whsec_a", []byte(`{"id":{},"currency":"USD","total_price":"1.00"}`)).mustError(t, 400, "invalid_request", "id")
	e.shopify(a, "orders/create", "whsec_a", []byte(`{"currency":"USD","total_price":"1.00"}`)).mustError(t, 400, "invalid_request", "id")
	e.shopify(a, "", "whsec_a", orderBody).mustError(t, 400, "invalid_request", "X-Shopify-Topic")
	if r := e.shopify(a, "products/update", "whsec_a", []byte(`{"id":1}`)).must(t, 200); r.str("status") != "ignored" {
		t.Fatalf("unfollowed topic: %s", r.raw)
	}
	huge := make([]byte, 5<<20)
	e.shopify(a, "orders/create", "whsec_a", huge).mustError(t, 413, "too_large", "")

	// Shop b's own webhook, with its own secret, lands in shop b only.
	e.shopify(e.b.id, "orders/create", "whsec_b", orderBody).must(t, 200)
	if o := e.call("GET", "/v1/orders/450789469", e.a.sk, nil).must(t, 200); o.str("status") != "cancelled" {
		t.Fatalf("shop a's order: %s", o.raw)
	}
	if o := e.call("GET", "/v1/orders/450789469", e.b.sk, nil).must(t, 200); o.str("status") != "open" {
		t.Fatalf("shop b's order: %s", o.raw)
	}
}

func TestEasyPostWebhook(t *testing.T) {
	tracker := shareddata.Payload(t, "easypost_tracker_updated_delivered.json")
	e := startEnv(t, "")
	e.secrets(e.a.sk, "ep_a")
	e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 201)
	e.call("POST", "/v1/shipments", e.a.sk, strings.Replace(issueShipment, "1Z999", "EZ4000000004", 1)).must(t, 201)
	post := func(shop, secret string, body []byte) resp {
		return e.call("POST", "/webhooks/easypost/"+shop, "", body, "X-Hmac-Signature", easypost.Sign(body, secret))
	}
	post(e.a.id, "wrong", tracker).mustError(t, 401, "unauthorized", "")
	r := post(e.b.id, "ep_a", tracker) // shop b has no EasyPost secret
	r.mustError(t, 401, "unauthorized", "")
	if !strings.Contains(r.str("error", "message"), "easypost_webhook_secret") {
		t.Fatalf("should name the missing secret: %s", r.raw)
	}
	if r := post(e.a.id, "ep_a", tracker).must(t, 200); r.str("shipments", "0", "id") != "shp_1" || r.str("shipments", "0", "shipment_status") != "delivered" {
		t.Fatalf("tracker: %s", r.raw)
	}
	if r := post(e.a.id, "ep_a", tracker).must(t, 200); r.str("shipments", "0", "status") != "unchanged" {
		t.Fatalf("retry: %s", r.raw)
	}
	s := e.call("GET", "/v1/shipments/shp_1", e.a.sk, nil).must(t, 200)
	if s.str("status") != "delivered" || len(s.get("events").([]any)) != 6 || s.str("tracking_url") != "https://track.easypost.com/djE7..." {
		t.Fatalf("shipment: %s", s.raw)
	}
	// The whole history arrived at once: only where the parcel is now is news.
	sameKinds(t, e.kinds(e.a.id), "order_placed", "shipment_created", "shipment_status:delivered")
	other := shareddata.Payload(t, "easypost_tracker_updated_in_transit.json")
	if r := post(e.a.id, "ep_a", other).must(t, 200); r.str("shipments", "0", "status") != "ignored" {
		t.Fatalf("unknown tracking number: %s", r.raw)
	}
	post(e.a.id, "ep_a", []byte(`{"description":"tracker.updated","result":{"status":"delivered"}}`)).
		mustError(t, 400, "invalid_request", "result.tracking_code")
}

// TestOrdersUnavailable: a server built without the orders store answers 503 on those routes.
func TestOrdersUnavailable(t *testing.T) {
	e := startEnv(t, "")
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Store: e.app.db, Engine: e.app.engine}))
	defer srv.Close()
	base := e.base
	e.base = srv.URL
	defer func() { e.base = base }()
	e.call("POST", "/v1/orders", e.a.sk, issueOrder).mustError(t, 503, "unavailable", "")
	e.call("POST", "/webhooks/shopify/"+e.a.id, "", "{}").mustError(t, 503, "unavailable", "")
}

func TestStallSettings(t *testing.T) {
	e := startEnv(t, "")
	s := e.call("GET", "/v1/settings", e.a.sk, nil).must(t, 200)
	if s.get("stall_fulfillment_hours") != float64(48) || s.get("stall_transit_hours") != float64(72) {
		t.Fatalf("defaults: %s", s.raw)
	}
	if s := e.call("PATCH", "/v1/settings", e.a.sk, `{"stall_fulfillment_hours":12}`).must(t, 200); s.get("stall_fulfillment_hours") != float64(12) || s.get("stall_transit_hours") != float64(72) {
		t.Fatalf("patched: %s", s.raw)
	}
	// An explicit 0 is refused, not silently taken as the default.
	e.call("PATCH", "/v1/settings", e.a.sk, `{"stall_transit_hours":0}`).mustError(t, 400, "invalid_request", "stall_transit_hours")
	e.call("PATCH", "/v1/settings", e.a.sk, `{"stall_transit_hours":-1}`).mustError(t, 400, "invalid_request", "stall_transit_hours")
	e.call("PATCH", "/v1/settings", e.a.sk, `{"stall_fulfillment_hours":100000}`).mustError(t, 400, "invalid_request", "stall_fulfillment_hours")
	e.call("PATCH", "/v1/settings", e.a.sk, `{"stall_fulfillment_hours":"2 days"}`).mustError(t, 400, "invalid_request", "stall_fulfillment_hours")
}

// TestWebhookRetriesRace sends the same webhooks from many clients at once, as Shopify retries
// racing each other: each order, shipment and status is news once.
func TestWebhookRetriesRace(t *testing.T) {
	e := startEnv(t, "")
	e.secrets(e.a.sk, "whsec_a")
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for step := range 4 {
				topic, body := webhookBody(7, (step+g)%4)
				r := e.shopify(e.a.id, topic, "whsec_a", body)
				if r.status != 200 {
					t.Errorf("%s: %d %s", topic, r.status, r.raw)
				}
			}
		})
	}
	wg.Wait()
	counts := map[string]int{}
	for _, k := range e.kinds(e.a.id) {
		counts[k]++
	}
	for _, k := range []string{"order_placed", "shipment_created", "shipment_status:delivered"} {
		if counts[k] != 1 {
			t.Fatalf("%s %d times: %v", k, counts[k], counts)
		}
	}
	if counts["shipment_status:in_transit"] > 1 || len(counts) > 4 {
		t.Fatalf("activities: %v", counts)
	}
	if s := e.call("GET", "/v1/shipments/7", e.a.sk, nil).must(t, 200); s.str("status") != "delivered" || len(s.get("events").([]any)) != 2 {
		t.Fatalf("shipment: %s", s.raw)
	}
}

// TestMeasureWebhooks runs the webhook load generator briefly against a server: what
// "epilogue bench journeys" reports as webhooks_per_sec.
func TestMeasureWebhooks(t *testing.T) {
	e := startEnv(t, "")
	e.secrets(e.a.sk, "whsec_a")
	perSec, err := measureWebhooks(context.Background(), e.base, e.a.id, "whsec_a", 300*time.Millisecond, 8)
	if err != nil || perSec <= 0 {
		t.Fatalf("%v webhooks/s: %v", perSec, err)
	}
	if _, err := measureWebhooks(context.Background(), e.base, e.a.id, "wrong", 100*time.Millisecond, 2); err == nil {
		t.Fatal("refused webhooks must be reported")
	}
}
