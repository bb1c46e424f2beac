package shopify_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/connect/shopify"
	"github.com/epiloguehq/epilogue/internal/shareddata"
	"github.com/epiloguehq/epilogue/track"
)

// Refund transactions are in the customer's presentment currency, which may not be the order's;
// amounts in two currencies are never added up.
func TestRefundCurrencies(t *testing.T) {
	eur := `{"id":7,"order_id":2,"transactions":[{"kind":"refund","status":"success","amount":"30.00","currency":"eur"},` +
		`{"kind":"refund","status":"success","amount":"5.00"}]}`
	if rf := parse(t, shopify.TopicRefundsCreate, []byte(eur)).Refunds[0]; rf.Amount != 35*epilogue.Micro || rf.Currency != "EUR" {
		t.Fatalf("presentment refund: %+v", rf)
	}
	mixed := `{"id":7,"order_id":2,"transactions":[{"kind":"refund","status":"success","amount":"30.00","currency":"USD"},` +
		`{"kind":"refund","status":"success","amount":"30.00","currency":"EUR"}]}`
	u, err := shopify.Parse("s", shopify.TopicRefundsCreate, []byte(mixed), now)
	var e *epilogue.Error
	if u != nil || !errorAs(err, &e) || e.Code != epilogue.EInvalid || e.Field != "transactions[1].currency" {
		t.Fatalf("mixed currencies: %+v, %v; want invalid_request on transactions[1].currency", u, err)
	}
	// Inside its order, a transaction without a currency is in the order's; one in another is not.
	order := `{"id":2,"currency":"USD","total_price":"60.00","refunds":[{"id":7,"transactions":[` +
		`{"kind":"refund","status":"success","amount":"10.00"},{"kind":"refund","status":"success","amount":"10.00","currency":"EUR"}]}]}`
	if _, err := shopify.Parse("s", shopify.TopicOrdersUpdated, []byte(order), now); !errorAs(err, &e) || e.Field != "refunds[0].transactions[1].currency" {
		t.Fatalf("nested mixed refund: %v", err)
	}
	order = strings.Replace(order, `,"currency":"EUR"`, ``, 1)
	if rf := parse(t, shopify.TopicOrdersUpdated, []byte(order)).Refunds[0]; rf.Amount != 20*epilogue.Micro || rf.Currency != "USD" {
		t.Fatalf("nested refund: %+v", rf)
	}
}

// A body of one topic signed and sent as another is refused when it says what it is, and a
// fulfillment webhook must name its order: neither becomes a parcel.
func TestBodyOfAnotherTopic(t *testing.T) {
	var list struct {
		Orders []struct {
			Refunds      []json.RawMessage `json:"refunds"`
			Fulfillments []json.RawMessage `json:"fulfillments"`
		} `json:"orders"`
	}
	if err := json.Unmarshal(shareddata.Payload(t, "shopify_orders_with_fulfillment_and_refund.json"), &list); err != nil || len(list.Orders) != 1 {
		t.Fatalf("fixture: %v", err)
	}
	refund, fulfillment := list.Orders[0].Refunds[0], list.Orders[0].Fulfillments[0]
	event := shareddata.Unwrap(t, shareddata.Payload(t, "shopify_fulfillment_events_create_label_printed.json"), "fulfillment_event")
	orderNoGID := shareddata.Unwrap(t, shareddata.Payload(t, "shopify_orders_create.json"), "order")
	for name, c := range map[string]struct {
		topic string
		body  []byte
		field string
	}{
		"refund as fulfillment":  {shopify.TopicFulfillmentsCreate, refund, "X-Shopify-Topic"},
		"fulfillment as refund":  {shopify.TopicRefundsCreate, fulfillment, "X-Shopify-Topic"},
		"event as fulfillment":   {shopify.TopicFulfillmentsUpdate, event, "X-Shopify-Topic"},
		"fulfillment as order":   {shopify.TopicOrdersUpdated, fulfillment, "X-Shopify-Topic"},
		"fulfillment as event":   {shopify.TopicFulfillmentEventCreate, fulfillment, "X-Shopify-Topic"},
		"order (no gid) as fulf": {shopify.TopicFulfillmentsCreate, orderNoGID, "order_id"},
	} {
		u, err := shopify.Parse("s", c.topic, c.body, now)
		var e *epilogue.Error
		if u != nil || !errorAs(err, &e) || e.Code != epilogue.EInvalid || e.Field != c.field {
			t.Errorf("%s: %+v, %v; want invalid_request on %s", name, u, err, c.field)
		}
	}
	// Each, under its own topic, is read.
	parse(t, shopify.TopicRefundsCreate, refund)
	parse(t, shopify.TopicFulfillmentsUpdate, fulfillment)
}

// A contact that the order would be refused for (a line break in an email or phone) is dropped,
// as a malformed one is, and an order with more lines than an update carries keeps its first
// ones: refused, the webhook would only be retried and the order lost.
func TestOrderKeptDespiteContentItCannotStore(t *testing.T) {
	order := `{"id":1,"currency":"USD","total_price":"10.00","email":"bob@example.com\r\nBcc: victim@evil.example",` +
		`"phone":"+1 555\r\nBcc: x@evil.example","customer":{"id":9,"email":"bob@example.com\nX: y","first_name":"Bob"},"line_items":[]}`
	u, err := shopify.Parse("s", shopify.TopicOrdersCreate, []byte(order), now)
	if err != nil {
		t.Fatalf("order with a header-injecting contact refused: %v", err)
	}
	if c := u.Order.Customer; c == nil || c.ID != "9" || c.Email != "" || c.Phone != "" || c.FirstName != "Bob" {
		t.Fatalf("customer: %+v", c)
	}
	var items []string
	for i := range 10_000 {
		items = append(items, fmt.Sprintf(`{"sku":"s%d","price":"0.01","quantity":1}`, i))
	}
	big := `{"id":2,"currency":"USD","total_price":"100.00","line_items":[` + strings.Join(items, ",") + `]}`
	u, err = shopify.Parse("s", shopify.TopicOrdersCreate, []byte(big), now)
	if err != nil || len(u.Order.Items) != track.MaxItems || u.Order.Total != 100*epilogue.Micro || u.Order.Items[0].SKU != "s0" {
		t.Fatalf("10,000 lines: %v", err)
	}
}
