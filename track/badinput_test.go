package track_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/track"
)

// invalid fails unless err is invalid_request naming field (and, when given, saying want).
func invalid(t *testing.T, what string, err error, field, want string) {
	t.Helper()
	var e *epilogue.Error
	if !errors.As(err, &e) || e.Code != epilogue.EInvalid || e.Field != field || !strings.Contains(e.Message, want) {
		t.Errorf("%s: want invalid %s %q, got %v", what, field, want, err)
	}
}

func TestValidateEmailAndPhone(t *testing.T) {
	for _, email := range []string{"a@b.com\r\nBcc: victim@evil.com", "a@b.com\nBcc: v@e.com", "ana @example.com",
		"Ana <ana@example.com>", "<ana@example.com>", "ana@example.com (Ana)", "ana@b@c", "ana@", "a\x00@b.com"} {
		u := validOrder()
		u.Order.Customer.Email = email
		invalid(t, email, u.Validate(), "order.customer.email", "")
		if err := track.ValidateOrder(u.Order, t0); err == nil {
			t.Errorf("ValidateOrder took %q", email)
		}
	}
	for _, email := range []string{"ana@example.com", "Ana.Lopez+orders@Example.co.uk", "o'brien@example.ie", "josé@example.com"} {
		u := validOrder()
		u.Order.Customer.Email = email
		if err := u.Validate(); err != nil {
			t.Errorf("%s: %v", email, err)
		}
	}
	// From a platform, an address that breaks RFC 5322 but is real is kept (a refused webhook
	// would lose the order); one that could smuggle headers is not.
	u := validOrder()
	u.Source, u.Order.Customer.Email = track.SourceShopify, "a..b@docomo.ne.jp"
	if err := u.Validate(); err != nil {
		t.Errorf("platform email: %v", err)
	}
	u.Order.Customer.Email = "a@b.com\r\nBcc: victim@evil.com"
	invalid(t, "platform email with a line break", u.Validate(), "order.customer.email", "")

	for _, src := range []string{track.SourceAPI, track.SourceShopify} {
		u := validOrder()
		u.Source, u.Order.Customer.Phone = src, "+1 555 0100\r\nBcc: victim@evil.com"
		invalid(t, src+" phone", u.Validate(), "order.customer.phone", "control characters")
	}
	u = validOrder()
	u.Order.Customer.Phone = "+1 (555) 010-0100"
	if err := u.Validate(); err != nil {
		t.Errorf("phone with spaces: %v", err)
	}
	u.Order.Customer.FirstName = "Ana\nBcc: v@e.com"
	invalid(t, "first name", u.Validate(), "order.customer.first_name", "control characters")
}

func TestValidateMinorUnits(t *testing.T) {
	for cur, want := range map[string]int{"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0, "CLP": 0, "KWD": 3, "BHD": 3, "TND": 3} {
		if n := epilogue.MinorUnits(cur); n != want {
			t.Errorf("MinorUnits(%s) = %d, want %d", cur, n, want)
		}
	}
	amount := func(s string) epilogue.Amount {
		a, err := epilogue.ParseAmount(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, c := range []struct {
		cur, total string
		ok         bool
	}{{"USD", "1.005", false}, {"USD", "1.00", true}, {"USD", "1.000000", true}, {"USD", "0.01", true},
		{"JPY", "100", true}, {"JPY", "100.00", true}, {"JPY", "100.5", false}, {"KWD", "1.005", true}, {"KWD", "1.0005", false}} {
		u := validOrder()
		u.Order.Currency, u.Order.Total = c.cur, amount(c.total)
		u.Order.Items[0].Price = amount(c.total)
		err := u.Validate()
		if c.ok && err != nil {
			t.Errorf("%s %s: %v", c.total, c.cur, err)
		}
		if !c.ok {
			invalid(t, c.total+" "+c.cur, err, "order.total", c.cur)
			u.Order.Total = 0
			invalid(t, c.total+" "+c.cur+" price", u.Validate(), "order.items[0].price", c.cur)
		}
	}
}

func TestValidateTrackingURL(t *testing.T) {
	for _, url := range []string{"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
		"ftp://carrier.example/1Z", "https://", "//carrier.example/1Z", "carrier.example/1Z", "https://carrier.example/\r\n1Z"} {
		u := validOrder()
		u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s", TrackingURL: url}}}
		invalid(t, url, u.Validate(), "shipments[0].tracking_url", "http")
	}
	for _, url := range []string{"https://www.ups.com/track?tracknum=1Z999", "http://carrier.example/t/1"} {
		u := validOrder()
		u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s", TrackingURL: url}}}
		if err := u.Validate(); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
}

func TestValidateZeroTime(t *testing.T) {
	u := validOrder()
	u.Refunds = []track.Refund{{ID: "r", OrderID: "1001", Amount: epilogue.Micro}}
	invalid(t, "zero refund time", u.Validate(), "refunds[0].time", "out of range")
	u = validOrder()
	u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "s", Events: []epilogue.ShipmentEvent{{Status: "delivered"}}}}}
	invalid(t, "zero scan time", u.Validate(), "shipments[0].events[0].time", "0001-01-01T00:00:00Z is before 1970")
	u = validOrder()
	u.Order.CreatedAt = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	invalid(t, "1969", u.Validate(), "order.created_at", "out of range")
}

func TestValidateRefund(t *testing.T) {
	refund := func(src string, rf track.Refund) error {
		rf.ID, rf.OrderID, rf.Time = "r", "1001", t0
		return (&track.Update{ShopID: "s", Source: src, ReceivedAt: t0, Refunds: []track.Refund{rf}}).Validate()
	}
	invalid(t, "zero through the API", refund(track.SourceAPI, track.Refund{}), "refunds[0].amount", "more than zero")
	if err := refund(track.SourceShopify, track.Refund{}); err != nil {
		t.Errorf("a Shopify restock refunds nothing: %v", err)
	}
	invalid(t, "10.001 USD", refund(track.SourceAPI, track.Refund{Amount: 10_001_000, Currency: "USD"}), "refunds[0].amount", "USD")
	invalid(t, "1.5 JPY", refund(track.SourceAPI, track.Refund{Amount: 1_500_000, Currency: "JPY"}), "refunds[0].amount", "JPY")
	if err := refund(track.SourceAPI, track.Refund{Amount: 10_001_000}); err != nil {
		t.Errorf("no currency: checked against the order's, in the store: %v", err)
	}
}

func TestCheckRefund(t *testing.T) {
	o := &track.OrderMoney{Total: 499 * epilogue.Micro, Currency: "USD", Refunded: 100 * epilogue.Micro}
	rf := func(amount epilogue.Amount, cur string) track.Refund {
		return track.Refund{ID: "r", OrderID: "1001", Amount: amount, Currency: cur}
	}
	for _, ok := range []track.Refund{rf(399*epilogue.Micro, "USD"), rf(10*epilogue.Micro, ""), rf(epilogue.Micro/100, "USD")} {
		if err := track.CheckRefund(track.SourceAPI, ok, o); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	invalid(t, "another currency", track.CheckRefund(track.SourceAPI, rf(10*epilogue.Micro, "EUR"), o), "currency", "USD")
	invalid(t, "past the total", track.CheckRefund(track.SourceAPI, rf(399*epilogue.Micro+10_000, "USD"), o), "amount", "499.00")
	invalid(t, "10000.00", track.CheckRefund(track.SourceAPI, rf(10000*epilogue.Micro, "USD"), o), "amount", "more than")
	invalid(t, "tenths of a cent", track.CheckRefund(track.SourceAPI, rf(10_001_000, ""), o), "amount", "USD")
	if err := track.CheckRefund(track.SourceAPI, rf(10000*epilogue.Micro, "EUR"), nil); err != nil {
		t.Errorf("an order not known yet cannot be checked against: %v", err)
	}
	if err := track.CheckRefund(track.SourceShopify, rf(10*epilogue.Micro, "EUR"), o); err != nil {
		t.Errorf("a platform's refund (presentment currency) is not refused: %v", err)
	}

	stored := rf(50*epilogue.Micro, "USD")
	for _, again := range []track.Refund{stored, rf(50*epilogue.Micro, "")} {
		if err := track.CheckRefundAgain(track.SourceAPI, again, stored); err != nil {
			t.Errorf("retry %+v: %v", again, err)
		}
	}
	if err := track.CheckRefundAgain(track.SourceAPI, stored, rf(50*epilogue.Micro, "")); err != nil {
		t.Errorf("stored before its order, without a currency: %v", err)
	}
	for _, other := range []track.Refund{rf(60*epilogue.Micro, "USD"), rf(50*epilogue.Micro, "EUR")} {
		if err := track.CheckRefundAgain(track.SourceAPI, other, stored); epilogue.ErrorCode(err) != epilogue.EConflict {
			t.Errorf("%+v under a used id: %v", other, err)
		}
	}
	if err := track.CheckRefundAgain(track.SourceShopify, rf(60*epilogue.Micro, "USD"), stored); err != nil {
		t.Errorf("Shopify repeats refunds whose sum may grow: %v", err)
	}
}

func TestCheckOrderChange(t *testing.T) {
	o := validOrder().Order
	if err := track.CheckOrderChange("USD", o); err != nil {
		t.Fatal(err)
	}
	o.Currency = "EUR"
	var e *epilogue.Error
	if err := track.CheckOrderChange("USD", o); !errors.As(err, &e) || e.Code != epilogue.EConflict || e.Field != "currency" {
		t.Fatalf("currency change: %v", err)
	}
}

func TestRetriedScan(t *testing.T) {
	u := &track.Update{ReceivedAt: t0}
	latest := &epilogue.ShipmentEvent{Status: "delivered", Time: t0.Add(-time.Hour)}
	calls := 0
	load := func() (*epilogue.ShipmentEvent, error) { calls++; return latest, nil }
	for _, c := range []struct {
		e    epilogue.ShipmentEvent
		want bool
	}{
		{epilogue.ShipmentEvent{Status: "delivered", Time: t0}, true},                           // no time, same scan: a retry
		{epilogue.ShipmentEvent{Status: "delivered", Time: t0.Add(-time.Minute)}, false},        // a time of its own
		{epilogue.ShipmentEvent{Status: "in_transit", Time: t0}, false},                         // other news
		{epilogue.ShipmentEvent{Status: "delivered", Location: "Porch", Time: t0}, false},       // says more
		{epilogue.ShipmentEvent{Status: "exception", RawStatus: "lost", Time: t0}, false},       // another raw status
		{epilogue.ShipmentEvent{Status: "delivered", Message: "Left at door", Time: t0}, false}, // another message
	} {
		if got, err := u.RetriedScan(&c.e, load); err != nil || got != c.want {
			t.Errorf("%+v: %v %v, want %v", c.e, got, err, c.want)
		}
	}
	if calls != 5 {
		t.Errorf("the latest scan is loaded only for scans without a time: %d loads", calls)
	}
	if got, _ := u.RetriedScan(&epilogue.ShipmentEvent{Status: "delivered", Time: t0},
		func() (*epilogue.ShipmentEvent, error) { return nil, nil }); got {
		t.Error("the first scan of a shipment is no retry")
	}
}

// Text that messages and pages show: with a control character (a NUL, which PostgreSQL cannot
// store, or a line break) it is refused from the API, naming the field, and cleaned from a
// platform, whose refused webhook would only come again and lose the order.
func TestControlCharactersInText(t *testing.T) {
	api := validOrder()
	api.Order.Items[0].Title = "Mug\x00"
	invalid(t, "API item title", api.Validate(), "order.items[0].title", "control characters")
	ship := func(src string) *track.Update {
		u := validOrder()
		u.Source, u.Order = src, nil
		u.Shipments = []track.ShipmentChange{{Shipment: epilogue.Shipment{ID: "sh1", OrderID: "1001", Carrier: "UPS\x00",
			Events: []epilogue.ShipmentEvent{{Status: epilogue.ShipInTransit, Message: "Arrived\x00 at\nhub", Time: t0}}}}}
		return u
	}
	invalid(t, "API carrier", ship(track.SourceAPI).Validate(), "shipments[0].carrier", "control characters")

	u := validOrder()
	u.Source = track.SourceShopify
	u.Order.Items[0].Title, u.Order.Customer.FirstName = "Mug\x00", "Bo\x00b\u202e"
	if err := u.Validate(); err != nil {
		t.Fatal(err)
	}
	if u.Order.Items[0].Title != "Mug" || u.Order.Customer.FirstName != "Bob" {
		t.Errorf("platform text not cleaned: %q %q", u.Order.Items[0].Title, u.Order.Customer.FirstName)
	}
	e := ship(track.SourceEasyPost)
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if s := e.Shipments[0].Shipment; s.Carrier != "UPS" || s.Events[0].Message != "Arrived at hub" {
		t.Errorf("platform shipment not cleaned: %q %q", s.Carrier, s.Events[0].Message)
	}
}
