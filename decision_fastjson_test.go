package epilogue

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

const (
	// fastStructuredBody is the common structured shape (the benchmark's requests look like it).
	fastStructuredBody = `{"placement":"confirmation","transaction":{"confirmationref":"1001","amount":"499.00","currency":"USD","paymenttype":"card"},"customer":{"id":"cust_42","email":"Ana@Example.com","attributes":{"loyalty_tier":"gold"}},"cart":[{"sku":"X1","product_id":"p1","category":"coffee machines","price":"499.00","quantity":1}],"context":{"device":"mobile","country":"US","locale":"en-US"},"explain":true}`
	// fastFlatBody is the flat form: FlatAttributes has its own decoding, so it must fall back.
	fastFlatBody = `{"placement":"confirmation","attributes":{"email":"ana@example.com","confirmationref":"1001","amount":"499.00","currency":"USD","country":"US","device":"mobile","loyalty_tier":"gold","cartitems":"[{\"sku\":\"X1\"}]"}}`
)

// fastAccepted are bodies the fast path must decode, exactly as json.Unmarshal does.
var fastAccepted = map[string]string{
	"structured": fastStructuredBody,
	"indented": `
	{
		"placement" : "confirmation" ,
		"transaction" : { "confirmationref" : "1001" , "amount" : "499.00" , "currency" : "USD" , "paymenttype" : "card" } ,
		"customer" : { "id" : "cust_42" , "email" : "Ana@Example.com" , "attributes" : { "loyalty_tier" : "gold" } } ,
		"cart" : [ { "sku" : "X1" , "price" : "499.00" , "quantity" : 1 } , { "sku" : "X2" , "price" : "0.5" , "quantity" : 2 } ] ,
		"context" : { "device" : "mobile" , "country" : "US" , "locale" : "en-US" , "page_url" : "https://shop.example/thanks?o=1001" } ,
		"explain" : false
	}` + "\r\n\t ",
	"crlf and tabs": "{\r\n\t\"placement\":\t\"p\",\r\n\t\"explain\":\ttrue\r\n}",
	"four items": `{"placement":"confirmation","transaction":{"amount":"1234.5","currency":"EUR"},"cart":[` +
		`{"sku":"A","price":"1.00","quantity":1},{"sku":"B","price":"2","quantity":0},` +
		`{"sku":"C","category":"mugs","price":"3.123456","quantity":-2},{"sku":"D","product_id":"p4","price":"0.00","quantity":99}]}`,
	"five items (grows the slice)": `{"cart":[{"sku":"1","price":"1"},{"sku":"2","price":"2"},{"sku":"3","price":"3"},{"sku":"4","price":"4"},{"sku":"5","price":"5"}]}`,
	"empty cart":                   `{"placement":"confirmation","cart":[]}`,
	"empty cart spaced":            `{"placement":"confirmation","cart":[ ]}`,
	"no cart":                      `{"placement":"confirmation","transaction":{"amount":"10.00","currency":"USD"}}`,
	"no customer":                  `{"placement":"confirmation","transaction":{"confirmationref":"1","amount":"10.00","currency":"USD"},"context":{"country":"DE"}}`,
	"explain true":                 `{"placement":"p","explain":true}`,
	"explain false":                `{"placement":"p","explain":false}`,
	"empty attributes":             `{"customer":{"id":"c","attributes":{}}}`,
	"several attributes":           `{"customer":{"email_sha256":"abc","type":"returning","attributes":{"loyalty_tier":"gold","segment":"vip","":"empty key","x":""}}}`,
	"attribute given twice":        `{"customer":{"attributes":{"a":"1","b":"2","a":"3"}}}`,
	"empty objects":                `{"transaction":{},"customer":{},"context":{},"cart":[{}]}`,
	"empty object":                 `{}`,
	"empty strings":                `{"placement":"","customer":{"id":"","email":""}}`,
	"unicode":                      `{"placement":"bestätigung","customer":{"email":"ана@пример.рф","attributes":{"名前":"値 🎉"}},"context":{"locale":"de-DE"}}`,
	"U+FFFD itself":                "{\"placement\":\"\xef\xbf\xbd\"}",
	"slash unescaped":              `{"context":{"page_url":"https://x.example/a/b"}}`,
	"quantity zero and minus zero": `{"cart":[{"sku":"a","price":"1","quantity":0},{"sku":"b","price":"1","quantity":-0}]}`,
	"quantity 18 digits":           `{"cart":[{"sku":"a","price":"1","quantity":-999999999999999999}]}`,
	"amount max":                   `{"transaction":{"amount":"1000000000000.000000"}}`,
	"key order shuffled":           `{"explain":true,"context":{"locale":"fr-FR"},"cart":[{"quantity":3,"price":"9.99","sku":"s"}],"customer":{"attributes":{"k":"v"},"id":"i"},"transaction":{"paymenttype":"paypal","amount":"5"},"placement":"p"}`,
}

// fastRejected are bodies the fast path must leave to json.Unmarshal (valid or not).
var fastRejected = map[string]string{
	"flat form":                 fastFlatBody,
	"flat attributes empty":     `{"attributes":{}}`,
	"escape in string":          `{"placement":"a\nb"}`,
	"unicode escape":            `{"placement":"caf\u00e9"}`,
	"escaped slash":             `{"context":{"page_url":"https:\/\/x"}}`,
	"escape in key":             `{"pl\u0061cement":"p"}`,
	"escape in attribute key":   `{"customer":{"attributes":{"a\"b":"c"}}}`,
	"null placement":            `{"placement":null}`,
	"null transaction":          `{"transaction":null}`,
	"null amount":               `{"transaction":{"amount":null}}`,
	"null cart":                 `{"cart":null}`,
	"null attributes":           `{"customer":{"attributes":null}}`,
	"null attribute value":      `{"customer":{"attributes":{"a":null}}}`,
	"null top level":            `null`,
	"unknown key":               `{"placement":"p","surface":"x"}`,
	"unknown nested key":        `{"transaction":{"total":"1"}}`,
	"unknown cart key":          `{"cart":[{"sku":"a","size":"XL"}]}`,
	"Placement other case":      `{"Placement":"p"}`,
	"PLACEMENT":                 `{"PLACEMENT":"p"}`,
	"SKU other case":            `{"cart":[{"SKU":"a"}]}`,
	"extra field tag dash":      `{"-":"x"}`,
	"Extra by name":             `{"Extra":{"a":"b"}}`,
	"quantity fraction":         `{"cart":[{"sku":"a","quantity":1.5}]}`,
	"quantity 1.0":              `{"cart":[{"sku":"a","quantity":1.0}]}`,
	"quantity exponent":         `{"cart":[{"sku":"a","quantity":1e2}]}`,
	"quantity leading zero":     `{"cart":[{"sku":"a","quantity":01}]}`,
	"quantity as string":        `{"cart":[{"sku":"a","quantity":"1"}]}`,
	"quantity plus":             `{"cart":[{"sku":"a","quantity":+1}]}`,
	"quantity lone minus":       `{"cart":[{"sku":"a","quantity":-}]}`,
	"quantity 19 digits":        `{"cart":[{"sku":"a","quantity":1000000000000000000}]}`,
	"quantity overflow":         `{"cart":[{"sku":"a","quantity":99999999999999999999}]}`,
	"amount as number":          `{"transaction":{"amount":499.00}}`,
	"price as number":           `{"cart":[{"sku":"a","price":5}]}`,
	"amount negative":           `{"transaction":{"amount":"-1.00"}}`,
	"amount empty":              `{"transaction":{"amount":""}}`,
	"amount too precise":        `{"transaction":{"amount":"1.0000001"}}`,
	"amount too large":          `{"transaction":{"amount":"1000000000000.000001"}}`,
	"amount junk":               `{"transaction":{"amount":"12,50"}}`,
	"trailing garbage":          fastStructuredBody + `x`,
	"two values":                `{"placement":"p"} {}`,
	"trailing comma object":     `{"placement":"p",}`,
	"trailing comma array":      `{"cart":[{"sku":"a"},]}`,
	"missing comma":             `{"placement":"p" "explain":true}`,
	"missing colon":             `{"placement" "p"}`,
	"unterminated":              `{"placement":"p"`,
	"unterminated string":       `{"placement":"p`,
	"empty":                     ``,
	"whitespace only":           " \n",
	"array top level":           `[]`,
	"string top level":          `"x"`,
	"invalid UTF-8":             "{\"placement\":\"\xff\"}",
	"truncated UTF-8":           "{\"placement\":\"\xc3\"}",
	"surrogate as UTF-8":        "{\"placement\":\"\xed\xa0\x80\"}",
	"invalid UTF-8 in key":      "{\"customer\":{\"attributes\":{\"\xfe\":\"v\"}}}",
	"control byte in string":    "{\"placement\":\"a\x01b\"}",
	"tab in string":             "{\"placement\":\"a\tb\"}",
	"form feed as whitespace":   "{\f\"placement\":\"p\"}",
	"BOM":                       "\xef\xbb\xbf{}",
	"explain as string":         `{"explain":"true"}`,
	"explain as number":         `{"explain":1}`,
	"explain truex":             `{"explain":truex}`,
	"explain True":              `{"explain":True}`,
	"placement as number":       `{"placement":1}`,
	"transaction as array":      `{"transaction":[]}`,
	"cart as object":            `{"cart":{}}`,
	"cart item as string":       `{"cart":["a"]}`,
	"attribute value as number": `{"customer":{"attributes":{"a":1}}}`,
	"attributes as array":       `{"customer":{"attributes":[]}}`,
	"duplicate placement":       `{"placement":"a","placement":"b"}`,
	"duplicate transaction":     `{"transaction":{"currency":"USD"},"transaction":{"amount":"1"}}`,
	"duplicate cart":            `{"cart":[{"sku":"a"}],"cart":[]}`,
	"duplicate nested key":      `{"context":{"device":"a","device":"b"}}`,
	"duplicate cart item key":   `{"cart":[{"quantity":1,"quantity":2}]}`,
	"duplicate customer attrs":  `{"customer":{"attributes":{"a":"1"},"attributes":{"b":"2"}}}`,
}

// checkFast decodes body with both decoders and fails unless the fast path's answer keeps its
// contract. It returns what DecodeRequestFast returned. Between the two, the body is clobbered:
// the fast path's strings must not share the (pooled, reused) input buffer.
func checkFast(t *testing.T, body []byte) bool {
	t.Helper()
	var want DecisionRequest
	wantErr := json.Unmarshal(body, &want)

	buf := bytes.Clone(body)
	var got DecisionRequest
	ok := DecodeRequestFast(buf, &got)
	for i := range buf {
		buf[i] = 'x'
	}
	if !ok {
		return false
	}
	if wantErr != nil {
		t.Fatalf("DecodeRequestFast accepted %q, json.Unmarshal refuses it: %v", body, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeRequestFast(%q)\n got %#v\nwant %#v", body, got, want)
	}
	return true
}

func TestDecodeRequestFastAccepts(t *testing.T) {
	for name, body := range fastAccepted {
		t.Run(name, func(t *testing.T) {
			if !checkFast(t, []byte(body)) {
				t.Fatalf("DecodeRequestFast fell back on %q", body)
			}
		})
	}
}

// TestDecodeRequestFastAcceptsExample pins the details of the common shape, in case both
// decoders were to agree on something wrong.
func TestDecodeRequestFastAcceptsExample(t *testing.T) {
	var r DecisionRequest
	if !DecodeRequestFast([]byte(fastStructuredBody), &r) {
		t.Fatal("fell back on the structured example")
	}
	want := DecisionRequest{
		Placement:   "confirmation",
		Transaction: Transaction{ConfirmationRef: "1001", Amount: 499 * Micro, Currency: "USD", PaymentType: "card"},
		Customer:    CustomerRef{ID: "cust_42", Email: "Ana@Example.com", Attributes: map[string]string{"loyalty_tier": "gold"}},
		Cart:        []CartItem{{SKU: "X1", ProductID: "p1", Category: "coffee machines", Price: 499 * Micro, Quantity: 1}},
		Context:     RequestContext{Device: "mobile", Country: "US", Locale: "en-US"},
		Explain:     true,
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got %#v\nwant %#v", r, want)
	}

	// Absent cart and attributes stay nil; empty ones are non-nil, as with json.Unmarshal.
	if !DecodeRequestFast([]byte(`{"placement":"p"}`), &r) || r.Cart != nil || r.Customer.Attributes != nil {
		t.Fatalf("absent cart/attributes: %#v", r)
	}
	if !DecodeRequestFast([]byte(`{"cart":[],"customer":{"attributes":{}}}`), &r) || r.Cart == nil || r.Customer.Attributes == nil {
		t.Fatalf("empty cart/attributes: %#v", r)
	}
}

// TestDecodeRequestFastResets checks that r's earlier contents do not leak into the result.
func TestDecodeRequestFastResets(t *testing.T) {
	r := DecisionRequest{Placement: "old", Cart: []CartItem{{SKU: "old"}}, Extra: map[string]string{"a": "b"}}
	if !DecodeRequestFast([]byte(`{"explain":true}`), &r) {
		t.Fatal("fell back")
	}
	if !reflect.DeepEqual(r, DecisionRequest{Explain: true}) {
		t.Fatalf("got %#v", r)
	}
}

func TestDecodeRequestFastFallsBack(t *testing.T) {
	for name, body := range fastRejected {
		t.Run(name, func(t *testing.T) {
			if checkFast(t, []byte(body)) {
				t.Fatalf("DecodeRequestFast accepted %q; it should fall back", body)
			}
		})
	}
}

// FuzzDecodeRequestFast checks the contract on arbitrary input: whenever the fast path accepts,
// json.Unmarshal must succeed with a deeply equal result. Falling back is always allowed.
func FuzzDecodeRequestFast(f *testing.F) {
	for _, body := range fastAccepted {
		f.Add([]byte(body))
	}
	for _, body := range fastRejected {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFast(t, body)
	})
}

func BenchmarkDecodeRequest(b *testing.B) {
	body := []byte(fastStructuredBody)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var r DecisionRequest
			if !DecodeRequestFast(body, &r) {
				b.Fatal("fell back")
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var r DecisionRequest
			if err := json.Unmarshal(body, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
