package main

import (
	"strings"
	"testing"
)

// Hostile and careless input to the orders, refunds and shipments API: each is refused naming
// the field, or recognised as a retry, and leaves nothing behind.

func TestRefundsBadInput(t *testing.T) {
	e := startEnv(t, "")
	e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 201) // 499.00 USD
	refund := func(body string) resp { return e.call("POST", "/v1/orders/1001/refunds", e.a.sk, body) }
	for body, field := range map[string]string{
		`{"id":"rf3","amount":"10000.00","currency":"USD"}`:          "amount",   // more than the order's total
		`{"id":"rf4","amount":"10.00","currency":"EUR"}`:             "currency", // not the order's currency
		`{"id":"rf5","amount":"10.001","currency":"USD"}`:            "amount",   // finer than a cent
		`{"id":"rf5","amount":"10.001"}`:                             "amount",   // the order's currency, finer than a cent
		`{"id":"rf6","amount":"0.00"}`:                               "amount",   // nothing
		`{"id":"rf7","amount":"1.00","time":"0001-01-01T00:00:00Z"}`: "time",
	} {
		refund(body).mustError(t, 400, "invalid_request", field)
	}
	if r := refund(`{"id":"rf7","amount":"1.00","time":"0001-01-01T00:00:00Z"}`); !strings.Contains(r.str("error", "message"), "out of range") {
		t.Fatalf("a zero time is out of range, not missing: %s", r.raw)
	}
	if o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200); o.str("refunded") != "0.00" || o.str("status") != "open" {
		t.Fatalf("refused refunds counted: %s", o.raw)
	}

	// Up to the total is fine, retries too (a retry of the refund that reached the total is not
	// "past the total"); one cent more is not.
	refund(`{"id":"rf1","amount":"10.00","currency":"USD"}`).must(t, 201)
	refund(`{"id":"rf2","amount":"489.00"}`).must(t, 201)
	if r := refund(`{"id":"rf2","amount":"489.00"}`).must(t, 200); r.str("status") != "unchanged" {
		t.Fatalf("retry: %s", r.raw)
	}
	refund(`{"id":"rf1","amount":"10.00"}`).must(t, 200) // the order's currency, said or not
	refund(`{"id":"rf8","amount":"0.01"}`).mustError(t, 400, "invalid_request", "amount")

	// The same id with other money is a conflict, not "unchanged".
	refund(`{"id":"rf1","amount":"20.00","currency":"USD"}`).mustError(t, 409, "conflict", "")
	refund(`{"id":"rf1","amount":"10.00","currency":"EUR"}`).mustError(t, 409, "conflict", "")
	if o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200); o.str("refunded") != "499.00" || o.str("status") != "refunded" {
		t.Fatalf("after the refunds: %s", o.raw)
	}
	sameKinds(t, e.kinds(e.a.id), "order_placed", "order_refunded", "order_refunded")

	// A refund may come before its order (out-of-order delivery): it is kept as sent, and
	// counted when the order arrives.
	e.call("POST", "/v1/orders/2002/refunds", e.a.sk, `{"id":"early","amount":"5.00"}`).must(t, 201)
	e.call("POST", "/v1/orders/2002/refunds", e.a.sk, `{"id":"early","amount":"6.00"}`).mustError(t, 409, "conflict", "")
	e.call("POST", "/v1/orders", e.a.sk, strings.Replace(issueOrder, `"id":"1001"`, `"id":"2002"`, 1)).must(t, 201)
	e.call("POST", "/v1/orders/2002/refunds", e.a.sk, `{"id":"early","amount":"5.00"}`).must(t, 200)
	if o := e.call("GET", "/v1/orders/2002", e.a.sk, nil).must(t, 200); o.str("refunded") != "5.00" || o.str("status") != "partially_refunded" {
		t.Fatalf("early refund: %s", o.raw)
	}
}

func TestOrdersBadInput(t *testing.T) {
	e := startEnv(t, "")
	for body, field := range map[string]string{
		strings.Replace(issueOrder, `"ana@example.com"`, `"a@b.com\r\nBcc: victim@evil.com"`, 1):                    "customer.email",
		strings.Replace(issueOrder, `"ana@example.com"`, `"Ana <ana@example.com>"`, 1):                              "customer.email",
		strings.Replace(issueOrder, `"ana@example.com"`, `"ana@example .com"`, 1):                                   "customer.email",
		strings.Replace(issueOrder, `"first_name":"Ana"`, `"phone":"+1 555\r\nBcc: v@e.com"`, 1):                    "customer.phone",
		strings.Replace(issueOrder, `"first_name":"Ana"`, `"consent":{"sms":true}`, 1):                              "customer.consent",
		strings.Replace(issueOrder, `"first_name":"Ana"`, `"attributes":{"tier":"gold"}`, 1):                        "customer.attributes",
		strings.Replace(issueOrder, `"total":"499.00"`, `"total":"1.005"`, 1):                                       "total",
		strings.Replace(issueOrder, `"price":"499.00"`, `"price":"499.001"`, 1):                                     "items[0].price",
		strings.Replace(strings.Replace(issueOrder, `"USD"`, `"JPY"`, 1), `"total":"499.00"`, `"total":"499.5"`, 1): "total",
	} {
		e.call("POST", "/v1/orders", e.a.sk, body).mustError(t, 400, "invalid_request", field)
	}
	if r := e.call("POST", "/v1/orders", e.a.sk, strings.Replace(issueOrder, `"total":"499.00"`, `"total":"1.005"`, 1)); !strings.Contains(r.str("error", "message"), "2 decimals in USD") {
		t.Fatalf("the message says why: %s", r.raw)
	}
	e.call("GET", "/v1/orders/1001", e.a.sk, nil).mustError(t, 404, "not_found", "")
	e.call("GET", "/v1/customers/c1", e.a.sk, nil).mustError(t, 404, "not_found", "")

	// Whole yen, and three decimals of dinar, are fine.
	yen := strings.NewReplacer(`"USD"`, `"JPY"`, `"499.00"`, `"49900"`, `"id":"1001"`, `"id":"y1"`).Replace(issueOrder)
	e.call("POST", "/v1/orders", e.a.sk, yen).must(t, 201)
	dinar := strings.NewReplacer(`"USD"`, `"KWD"`, `"499.00"`, `"49.125"`, `"id":"1001"`, `"id":"k1"`).Replace(issueOrder)
	e.call("POST", "/v1/orders", e.a.sk, dinar).must(t, 201)
	if o := e.call("GET", "/v1/orders/k1", e.a.sk, nil).must(t, 200); o.str("total") != "49.125" {
		t.Fatalf("dinar: %s", o.raw)
	}

	// An order's currency cannot change; the rest of it can.
	e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 201)
	e.call("POST", "/v1/orders", e.a.sk, strings.Replace(issueOrder, `"USD"`, `"EUR"`, 1)).mustError(t, 409, "conflict", "currency")
	changed := strings.Replace(issueOrder, `"first_name":"Ana"`, `"first_name":"Anna"`, 1)
	if r := e.call("POST", "/v1/orders", e.a.sk, changed).must(t, 200); r.str("status") != "updated" {
		t.Fatalf("change: %s", r.raw)
	}
	if o := e.call("GET", "/v1/orders/1001", e.a.sk, nil).must(t, 200); o.str("currency") != "USD" || o.str("customer", "first_name") != "Anna" {
		t.Fatalf("order: %s", o.raw)
	}
}

func TestShipmentsBadInput(t *testing.T) {
	e := startEnv(t, "")
	e.call("POST", "/v1/orders", e.a.sk, issueOrder).must(t, 201)
	for _, url := range []string{"javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://ups.example/1Z999", "https://"} {
		body := strings.Replace(issueShipment, `"tracking_number"`, `"tracking_url":"`+url+`","tracking_number"`, 1)
		e.call("POST", "/v1/shipments", e.a.sk, body).mustError(t, 400, "invalid_request", "tracking_url")
	}
	e.call("GET", "/v1/shipments/shp_1", e.a.sk, nil).mustError(t, 404, "not_found", "")
	e.call("POST", "/v1/shipments", e.a.sk, strings.Replace(issueShipment, `"tracking_number"`,
		`"tracking_url":"https://www.ups.com/track?tracknum=1Z999","tracking_number"`, 1)).must(t, 201)

	// A scan without a time, sent again, is a retry: stamped anew it would be a second scan.
	post := func(body string, status int, want string) {
		t.Helper()
		if r := e.call("POST", "/v1/shipments/shp_1/events", e.a.sk, body).must(t, status); r.str("status") != want {
			t.Fatalf("%s: %s", body, r.raw)
		}
	}
	post(`{"status":"in_transit"}`, 201, "created")
	post(`{"status":"in_transit"}`, 200, "unchanged")
	post(`{"status":"in_transit","location":"Memphis"}`, 201, "created") // says more: news
	post(`{"status":"delivered"}`, 201, "created")
	post(`{"status":"delivered"}`, 200, "unchanged")
	post(`{"status":"delivered","time":"2025-03-17T10:00:00Z"}`, 201, "created") // a time of its own
	s := e.call("GET", "/v1/shipments/shp_1", e.a.sk, nil).must(t, 200)
	if n := len(s.get("events").([]any)); n != 4 || s.str("status") != "delivered" {
		t.Fatalf("%d events: %s", n, s.raw)
	}
	sameKinds(t, e.kinds(e.a.id), "order_placed", "shipment_created", "shipment_status:in_transit", "shipment_status:delivered")
	// The same for scans that come with the shipment.
	withScan := `{"id":"shp_2","order_id":"1001","carrier":"UPS","tracking_number":"1Z998","events":[{"status":"label_created"}]}`
	e.call("POST", "/v1/shipments", e.a.sk, withScan).must(t, 201)
	if r := e.call("POST", "/v1/shipments", e.a.sk, withScan).must(t, 200); r.str("status") != "unchanged" || r.get("new_events") != float64(0) {
		t.Fatalf("shipment retried: %s", r.raw)
	}

	// A zero time is out of range, not missing.
	r := e.call("POST", "/v1/shipments/shp_1/events", e.a.sk, `{"status":"delivered","time":"0001-01-01T00:00:00Z"}`)
	r.mustError(t, 400, "invalid_request", "time")
	if !strings.Contains(r.str("error", "message"), "out of range") {
		t.Fatalf("message: %s", r.raw)
	}

	// An unknown order has no shipments to list: 404, like the order itself. Shipments that
	// came before their order are listed.
	e.call("GET", "/v1/orders/nope/shipments", e.a.sk, nil).mustError(t, 404, "not_found", "")
	e.call("POST", "/v1/shipments", e.a.sk, `{"id":"shp_3","order_id":"later","carrier":"UPS","tracking_number":"1Z997"}`).must(t, 201)
	if l := e.call("GET", "/v1/orders/later/shipments", e.a.sk, nil).must(t, 200); len(l.get("data").([]any)) != 1 {
		t.Fatalf("shipments of an order not known yet: %s", l.raw)
	}
	if l := e.call("GET", "/v1/orders/1001/shipments", e.a.sk, nil).must(t, 200); len(l.get("data").([]any)) != 2 {
		t.Fatalf("order shipments: %s", l.raw)
	}
}
