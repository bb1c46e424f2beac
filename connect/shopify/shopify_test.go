package shopify_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue/internal/shareddata"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/connect/shopify"
	"github.com/epiloguehq/epilogue/track"
)

var now = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func parse(t *testing.T, topic string, body []byte) *track.Update {
	t.Helper()
	u, err := shopify.Parse("shop_a", topic, body, now)
	if err != nil {
		t.Fatalf("parse %s: %v", topic, err)
	}
	if u == nil {
		t.Fatalf("topic %s ignored", topic)
	}
	return u
}

func TestOrdersCreate(t *testing.T) {
	wrapped := shareddata.Payload(t, "shopify_orders_create.json")
	for name, body := range map[string][]byte{"wrapped": wrapped, "webhook": shareddata.Unwrap(t, wrapped, "order")} {
		t.Run(name, func(t *testing.T) {
			u := parse(t, shopify.TopicOrdersCreate, body)
			o := u.Order
			if u.ShopID != "shop_a" || u.Source != "shopify" || o.ID != "450789469" || o.Total != 409_940_000 || o.Currency != "USD" ||
				o.Status != track.OrderOpen || !o.CreatedAt.Equal(time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC)) || len(o.Items) != 3 {
				t.Fatalf("order: %+v", o)
			}
			if it := o.Items[1]; it.SKU != "IPOD2008RED" || it.ProductID != "632910392" || it.Price != 199*epilogue.Micro || it.Quantity != 1 || it.Title != "IPod Nano - 8gb" {
				t.Fatalf("line item: %+v", it)
			}
			if c := o.Customer; o.CustomerID != "207119551" || c.ID != "207119551" || c.Email != "bob.norman@hostmail.com" || c.FirstName != "Bob" || c.LastName != "Norman" {
				t.Fatalf("customer: %+v", c)
			}
			if !u.AwaitingShipment {
				t.Fatal("an authorized, unfulfilled order of physical goods awaits a shipment")
			}
			// The order's own fulfillment comes along (no shipment_status: no event).
			if len(u.Shipments) != 1 {
				t.Fatalf("shipments: %+v", u.Shipments)
			}
			if s := u.Shipments[0].Shipment; s.ID != "255858046" || s.OrderID != "450789469" || s.TrackingNumber != "1Z2345" ||
				!strings.HasPrefix(s.TrackingURL, "http://wwwapps.ups.com/") || len(s.Events) != 0 {
				t.Fatalf("fulfillment: %+v", s)
			}
		})
	}
}

func TestOrderWithFulfillmentAndRefund(t *testing.T) {
	var list struct {
		Orders []json.RawMessage `json:"orders"`
	}
	if err := json.Unmarshal(shareddata.Payload(t, "shopify_orders_with_fulfillment_and_refund.json"), &list); err != nil || len(list.Orders) != 1 {
		t.Fatalf("fixture: %v", err)
	}
	u := parse(t, shopify.TopicOrdersUpdated, list.Orders[0])
	if u.Order.Total != 598_940_000 || u.Order.Customer.Phone != "+557734881234" {
		t.Fatalf("order: %+v", u.Order)
	}
	if len(u.Shipments) != 1 || u.Shipments[0].Shipment.Carrier != "USPS" {
		t.Fatalf("shipments: %+v", u.Shipments)
	}
	if len(u.Refunds) != 1 || u.Refunds[0] != (track.Refund{ID: "509562969", OrderID: "450789469", Amount: 209 * epilogue.Micro,
		Currency: "USD", Time: time.Date(2021, 2, 12, 18, 51, 0, 0, time.UTC)}) {
		t.Fatalf("refunds: %+v", u.Refunds)
	}
}

func TestFulfillment(t *testing.T) {
	u := parse(t, shopify.TopicFulfillmentsCreate, shareddata.Payload(t, "shopify_fulfillments_create.json"))
	s := u.Shipments[0].Shipment
	if u.Order != nil || s.ID != "255858046" || s.OrderID != "450789469" || s.Carrier != "null-company" || s.TrackingNumber != "1Z2345" ||
		s.TrackingURL != "http://www.google.com/search?q=1Z2345" || u.Shipments[0].MustExist {
		t.Fatalf("fulfillment: %+v", u.Shipments[0])
	}
	// A fulfillments/update with a shipment status (no such fixture exists) is a scan.
	body := `{"id":1,"order_id":2,"shipment_status":"out_for_delivery","updated_at":"2024-05-01T10:00:00-04:00"}`
	u = parse(t, shopify.TopicFulfillmentsUpdate, []byte(body))
	if e := u.Shipments[0].Shipment.Events; len(e) != 1 || e[0].Status != "out_for_delivery" || !e[0].Time.Equal(time.Date(2024, 5, 1, 14, 0, 0, 0, time.UTC)) {
		t.Fatalf("events: %+v", e)
	}
}

func TestFulfillmentEvents(t *testing.T) {
	u := parse(t, shopify.TopicFulfillmentEventCreate, shareddata.Payload(t, "shopify_fulfillment_events_create_label_printed.json"))
	s := u.Shipments[0].Shipment
	if s.ID != "2608403447971" || s.OrderID != "2776493818019" || len(s.Events) != 1 || s.Events[0].Status != epilogue.ShipLabelCreated ||
		s.Events[0].RawStatus != "label_printed" || !s.Events[0].Time.Equal(time.Date(2021, 1, 25, 21, 32, 23, 0, time.UTC)) || s.EstimatedAt != nil {
		t.Fatalf("label printed: %+v", s)
	}
	old := shareddata.Payload(t, "shopify_fulfillment_events_create_in_transit.json")
	for _, body := range [][]byte{old, shareddata.Unwrap(t, old, "event")} {
		s := parse(t, shopify.TopicFulfillmentEventCreate, body).Shipments[0].Shipment
		if s.ID != "255858046" || s.Events[0].Status != epilogue.ShipInTransit || s.EstimatedAt == nil ||
			!s.EstimatedAt.Equal(time.Date(2013, 11, 15, 22, 0, 0, 0, time.UTC)) {
			t.Fatalf("in transit: %+v", s)
		}
	}
	// A status Shopify may add later is kept raw, as an exception.
	s = parse(t, shopify.TopicFulfillmentEventCreate, []byte(`{"fulfillment_id":5,"status":"teleported","city":"Oslo","country":"NO"}`)).Shipments[0].Shipment
	if e := s.Events[0]; e.Status != epilogue.ShipException || e.RawStatus != "teleported" || e.Location != "Oslo, NO" || !e.Time.Equal(now) {
		t.Fatalf("unknown status: %+v", e)
	}
}

func TestRefund(t *testing.T) {
	wrapped := shareddata.Payload(t, "shopify_refunds_create.json")
	for _, body := range [][]byte{wrapped, shareddata.Unwrap(t, wrapped, "refund")} {
		u := parse(t, shopify.TopicRefundsCreate, body)
		if len(u.Refunds) != 1 || u.Refunds[0].ID != "509562969" || u.Refunds[0].OrderID != "450789469" || u.Refunds[0].Amount != 209*epilogue.Micro ||
			u.Refunds[0].Currency != "USD" {
			t.Fatalf("refund: %+v", u.Refunds)
		}
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":1}`)
	sig := shopify.Sign(body, "s3cret")
	if err := shopify.Verify(body, sig, "s3cret"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ body, sig, secret string }{
		"wrong secret":  {string(body), sig, "other"},
		"changed body":  {`{"id":2}`, sig, "s3cret"},
		"missing":       {string(body), "", "s3cret"},
		"not base64":    {string(body), "%%%", "s3cret"},
		"hex not b64":   {string(body), "deadbeef", "s3cret"},
		"no secret set": {string(body), sig, ""},
	} {
		err := shopify.Verify([]byte(c.body), c.sig, c.secret)
		if epilogue.ErrorCode(err) != epilogue.EUnauthorized {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := shopify.Verify(body, sig, ""); !strings.Contains(err.Error(), "shopify_webhook_secret") {
		t.Errorf("an unset secret should say so: %v", err)
	}
}

func TestHostileInput(t *testing.T) {
	order := `{"id":1,"currency":"USD","total_price":"10.00","created_at":"2024-01-01T00:00:00Z","line_items":[{"sku":"a","price":"5.00","quantity":1},{"sku":"b","price":"5.00","quantity":1}]}`
	if _, err := shopify.Parse("s", shopify.TopicOrdersCreate, []byte(order), now); err != nil {
		t.Fatalf("the base order must parse: %v", err)
	}
	for name, c := range map[string]struct{ topic, body, field string }{
		"truncated":         {shopify.TopicOrdersCreate, order[:40], ""},
		"array":             {shopify.TopicOrdersCreate, `[]`, ""},
		"two values":        {shopify.TopicOrdersCreate, order + order, ""},
		"empty":             {shopify.TopicOrdersCreate, ` `, ""},
		"missing id":        {shopify.TopicOrdersCreate, strings.Replace(order, `"id":1,`, ``, 1), "id"},
		"id object":         {shopify.TopicOrdersCreate, strings.Replace(order, `"id":1`, `"id":{}`, 1), "id"},
		"id float":          {shopify.TopicOrdersCreate, strings.Replace(order, `"id":1`, `"id":1.5`, 1), "id"},
		"id with spaces":    {shopify.TopicOrdersCreate, strings.Replace(order, `"id":1`, `"id":"a b"`, 1), "id"},
		"bad currency":      {shopify.TopicOrdersCreate, strings.Replace(order, `"USD"`, `"XYZ"`, 1), "currency"},
		"no total":          {shopify.TopicOrdersCreate, strings.Replace(order, `"total_price":"10.00",`, ``, 1), "total_price"},
		"negative total":    {shopify.TopicOrdersCreate, strings.Replace(order, `"10.00"`, `"-10.00"`, 1), "total_price"},
		"price not decimal": {shopify.TopicOrdersCreate, strings.Replace(order, `"sku":"b","price":"5.00"`, `"sku":"b","price":"five"`, 1), "line_items[1].price"},
		"quantity string":   {shopify.TopicOrdersCreate, strings.Replace(order, `"sku":"b","price":"5.00","quantity":1`, `"sku":"b","price":"5.00","quantity":"1"`, 1), "line_items[1].quantity"},
		"items not array":   {shopify.TopicOrdersCreate, strings.Replace(order, `"line_items":[`, `"line_items":"x","y":[`, 1), "line_items"},
		"bad time":          {shopify.TopicOrdersCreate, strings.Replace(order, `"2024-01-01T00:00:00Z"`, `"yesterday"`, 1), "created_at"},
		"customer string":   {shopify.TopicOrdersCreate, strings.Replace(order, `"id":1,`, `"id":1,"customer":"bob",`, 1), "customer"},
		"no topic":          {"", order, "X-Shopify-Topic"},
		"event no parent":   {shopify.TopicFulfillmentEventCreate, `{"id":1,"status":"delivered"}`, "fulfillment_id"},
		"event no status":   {shopify.TopicFulfillmentEventCreate, `{"fulfillment_id":1}`, "status"},
		"fulfillment no id": {shopify.TopicFulfillmentsCreate, `{"order_id":1}`, "id"},
		"refund bad amount": {shopify.TopicRefundsCreate, `{"id":1,"order_id":2,"transactions":[{"kind":"refund","status":"success","amount":true}]}`, "transactions[0].amount"},
		"refund no order":   {shopify.TopicRefundsCreate, `{"id":1}`, "order_id"},
	} {
		u, err := shopify.Parse("s", c.topic, []byte(c.body), now)
		var e *epilogue.Error
		if u != nil || err == nil || !errorAs(err, &e) || e.Code != epilogue.EInvalid || (c.field != "" && e.Field != c.field) {
			t.Errorf("%s: got %v, %v; want invalid_request on %q", name, u, err, c.field)
		}
	}
	huge := make([]byte, 5<<20)
	if _, err := shopify.Parse("s", shopify.TopicOrdersCreate, huge, now); epilogue.ErrorCode(err) != epilogue.ETooLarge {
		t.Errorf("huge body: %v", err)
	}
	// Lenient content: a malformed email is dropped, an overlong title cut, a future time clamped.
	lenient := strings.Replace(order, `"id":1,`, `"id":1,"email":"not-an-email","updated_at":"2099-01-01T00:00:00Z",`, 1)
	lenient = strings.Replace(lenient, `"sku":"a"`, `"sku":"a","title":"`+strings.Repeat("é", 800)+`"`, 1)
	u, err := shopify.Parse("s", shopify.TopicOrdersCreate, []byte(lenient), now)
	if err != nil || u.Order.Customer != nil || len(u.Order.Items[0].Title) > 1000 || !u.Order.UpdatedAt.Equal(now) {
		t.Fatalf("lenient: %v %+v", err, u)
	}
	// Topics Epilogue does not follow are acknowledged and ignored.
	if u, err := shopify.Parse("s", "products/update", []byte(`{"id":1}`), now); u != nil || err != nil {
		t.Fatalf("unfollowed topic: %v %v", u, err)
	}
}

func errorAs(err error, e **epilogue.Error) bool {
	x, ok := err.(*epilogue.Error)
	*e = x
	return ok
}
