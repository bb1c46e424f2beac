package epilogue

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decodeRequest(t *testing.T, js string) *DecisionRequest {
	t.Helper()
	var r DecisionRequest
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	return &r
}

// Both request forms of the same request must be treated the same.
func TestFlatAndStructuredFormsAgree(t *testing.T) {
	structured := decodeRequest(t, `{"placement":"confirmation","transaction":{"confirmationref":"1001","amount":"499.00","currency":"USD"},"customer":{"email":"Ana@Example.com","attributes":{"loyalty_tier":"gold"}},"cart":[{"sku":"X1","category":"Coffee Machines","price":"499.00","quantity":1}],"context":{"device":"mobile","country":"us"}}`)
	flat := decodeRequest(t, `{"placement":"confirmation","attributes":{"email":" ana@example.com ","firstname":"Ana","billingzipcode":"10001","confirmationref":"1001","amount":"499.00","currency":"USD","country":"US","device":"Mobile","loyalty_tier":"gold","cartitems":"[{\"sku\":\"X1\",\"category\":\"coffee machines\",\"price\":\"499.00\",\"quantity\":1}]"}}`)
	if !reflect.DeepEqual(structured, flat) {
		a, _ := json.Marshal(structured)
		b, _ := json.Marshal(flat)
		t.Fatalf("forms differ:\n%s\n%s", a, b)
	}
	// Integrations send money as numbers too, in the amount and in cart items (as a JSON
	// string or an array), with extra item keys: the same request.
	for _, cart := range []string{`"[{\"sku\":\"X1\",\"name\":\"Machine\",\"category\":\"coffee machines\",\"price\":499.00,\"quantity\":\"1\"}]"`,
		`[{"sku":"X1","category":"coffee machines","price":499,"quantity":1}]`} {
		numeric := decodeRequest(t, `{"placement":"confirmation","attributes":{"email":"ana@example.com","confirmationref":"1001","amount":499.0,"currency":"USD","country":"US","device":"mobile","loyalty_tier":"gold","cartitems":`+cart+`}}`)
		if !reflect.DeepEqual(structured, numeric) {
			a, _ := json.Marshal(structured)
			b, _ := json.Marshal(numeric)
			t.Fatalf("numeric flat form differs:\n%s\n%s", a, b)
		}
	}
	if flat.Customer.Email != "" || flat.Customer.EmailSHA256 != EmailSHA256("ana@example.com") {
		t.Fatalf("email not hashed and dropped: %+v", flat.Customer)
	}
	if _, kept := flat.Customer.Attributes["firstname"]; kept {
		t.Fatal("personal flat attribute kept")
	}
}

func TestNormalizeNamesTheField(t *testing.T) {
	for js, field := range map[string]string{
		`{}`: "placement",
		`{"placement":"p","customer":{"email":"nope"}}`:                              "customer.email",
		`{"placement":"p","customer":{"email_sha256":"abc"}}`:                        "customer.email_sha256",
		`{"placement":"p","transaction":{"currency":"usd"}}`:                         "transaction.currency",
		`{"placement":"p","context":{"country":"USA"}}`:                              "context.country",
		`{"placement":"p","context":{"device":"fridge"}}`:                            "context.device",
		`{"placement":"p","cart":[{"sku":"a"},{"sku":"b","quantity":-1}]}`:           "cart[1].quantity",
		`{"placement":"p","attributes":{"amount":"-3"}}`:                             "attributes.amount",
		`{"placement":"p","attributes":{"cartitems":"nope"}}`:                        "attributes.cartitems",
		`{"placement":"p","attributes":{"cartitems":[{"price":1},{"price":"1e3"}]}}`: "attributes.cartitems[1].price",
		`{"placement":"p","attributes":{"cartitems":[{"price":1,"quantity":1.5}]}}`:  "attributes.cartitems[0].quantity",
		`{"placement":"p","attributes":{"cartitems":[{"sku":{"a":1}}]}}`:             "attributes.cartitems[0].sku",
		`{"placement":"p","attributes":{"cartitems":[{"price":9999999999999}]}}`:     "attributes.cartitems[0].price",
		`{"placement":"p","attributes":{"x":[1]}}`:                                   "attributes.x",
		`{"placement":"p","customer":{"type":"vip"}}`:                                "customer.type",
		// A flat attribute's error names the attribute sent, not the field it fills.
		`{"placement":"p","attributes":{"email":"nope"}}`:                           "attributes.email",
		`{"placement":"p","attributes":{"Country":"USA"}}`:                          "attributes.Country",
		`{"placement":"p","attributes":{"cartitems":"[{\"quantity\":-5}]"}}`:        "attributes.cartitems[0].quantity",
		`{"placement":"p","attributes":{"customer_id":"a b"}}`:                      "attributes.customer_id",
		`{"placement":"p","customer":{"id":"a b"},"attributes":{"customerid":"x"}}`: "customer.id",
		// Two names of one field with different values: refused, naming the later name.
		`{"placement":"p","attributes":{"customer_id":"alice","customerid":"bob"}}`: "attributes.customerid",
	} {
		var r DecisionRequest
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Fatal(err)
		}
		err := r.Normalize()
		e, ok := err.(*Error)
		if !ok || e.Code != EInvalid || e.Field != field {
			t.Errorf("%s: got %v, want field %s", js, err, field)
		}
	}
}

func TestOffersDefaultsAndValidation(t *testing.T) {
	var o Offer
	json.Unmarshal([]byte(`{"kind":"partner","title":"T","action":{"type":"link","url":"https://x.example"},"payout":{"model":"cpc","amount":"0.40"},"targeting":{"countries":["us"],"cart_categories_any":["Mugs "]}}`), &o)
	o.Defaults("EUR")
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.Status != StatusActive || o.Payout.Currency != "EUR" || o.CTA == "" || o.Targeting.Countries[0] != "US" || o.Targeting.CartCategoriesAny[0] != "mugs" {
		t.Fatalf("defaults: %+v", o)
	}
	o.Payout.Amount = 0
	if err := o.Validate(); err == nil || err.(*Error).Field != "payout.amount" {
		t.Fatalf("cpc without amount: %v", err)
	}
}

// Flat attributes keep a number's digits although the request is decoded without UseNumber.
func TestFlatNumbersKeepTheirDigits(t *testing.T) {
	r := decodeRequest(t, `{"placement":"confirmation","attributes":{"member_no":12345678901234567,"score":0.1,"vip":true}}`)
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"member_no": "12345678901234567", "score": "0.1", "vip": "true"}
	if !reflect.DeepEqual(r.Customer.Attributes, want) {
		t.Fatalf("attributes %v, want %v", r.Customer.Attributes, want)
	}
	var bad DecisionRequest
	if err := json.Unmarshal([]byte(`{"attributes":[1]}`), &bad); err == nil {
		t.Fatal("attributes as an array accepted")
	}
}

// The flat form reads the same every time: names fold ("customer_id", "customerId"), the same
// value under two names is one value, and personal details under any common name are dropped.
func TestFlatFormIsDeterministicAndDropsPII(t *testing.T) {
	for range 20 {
		r := decodeRequest(t, `{"placement":"p","attributes":{"customer_id":"alice","customerId":"alice","Country":"FR","country":"FR",
			"email_address":"Ana@Example.com","first_name":"Ana","last_name":"Lopez","phone_number":"+1 555","billing_zip":"10001",
			"address1":"1 Main St","Shipping-Postcode":"SW1","tier":"gold"}}`)
		if r.Customer.ID != "alice" || r.Context.Country != "FR" || r.Customer.EmailSHA256 != EmailSHA256("ana@example.com") ||
			!reflect.DeepEqual(r.Customer.Attributes, map[string]string{"tier": "gold"}) {
			t.Fatalf("flat form read as %+v", r)
		}
	}
}

// Attribute limits count characters, as PUT /v1/customers does: 100 kanji are 300 bytes.
func TestAttributeLimitsCountCharacters(t *testing.T) {
	v := strings.Repeat("日", 100)
	r := decodeRequest(t, `{"placement":"p","customer":{"attributes":{"name_jp":"`+v+`"}}}`)
	if r.Customer.Attributes["name_jp"] != v {
		t.Fatalf("attribute %q", r.Customer.Attributes["name_jp"])
	}
}
