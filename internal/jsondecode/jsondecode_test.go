package jsondecode

import (
	"errors"
	"strings"
	"testing"

	"github.com/epiloguehq/epilogue"
)

// Field paths name the array element at fault, however deep.
func TestUnmarshalNamesTheFieldWithIndices(t *testing.T) {
	type item struct {
		Price    epilogue.Amount `json:"price"`
		Quantity int             `json:"quantity"`
	}
	type body struct {
		Cart  []item `json:"cart"`
		Lists [][]item
	}
	for js, field := range map[string]string{
		`{"cart":[{"price":"1"},{"price":2}]}`:                    "cart[1].price",
		`{"cart":[{"quantity":1},{"quantity":"two"}]}`:            "cart[1].quantity",
		`{"cart":[{"price":"-1"}]}`:                               "cart[0].price",
		`{"Lists":[[{"price":"1"}],[{"price":"1"},{"price":3}]]}`: "Lists[1][1].price",
		`{"cart":{"price":"1"}}`:                                  "cart",
	} {
		var b body
		err := Decode([]byte(js), &b, Options{})
		e, ok := err.(*epilogue.Error)
		if !ok || e.Field != field || e.Code != epilogue.EInvalid {
			t.Errorf("%s: got %v, want field %s", js, err, field)
		}
	}
	var b body
	if err := Decode([]byte(`{"cart":[],"extra":1}`), &b, Options{Strict: true}); err == nil || err.(*epilogue.Error).Field != "extra" {
		t.Errorf("unknown field: %v", err)
	}
	// Unknown fields and bad map values are named where they are.
	type nested struct {
		Targeting struct {
			Attrs map[string][]string `json:"customer_attributes"`
		} `json:"targeting"`
		Cart []item `json:"cart"`
		Tags map[string]string
	}
	for js, field := range map[string]string{
		`{"targeting":{"bogus":1}}`:                                    "targeting.bogus",
		`{"cart":[{"price":"1"},{"price":"2","bogus":1}]}`:             "cart[1].bogus",
		`{"targeting":{"customer_attributes":{"a":["x"],"tier":[5]}}}`: "targeting.customer_attributes.tier[0]",
		`{"targeting":{"customer_attributes":{"tier":5}}}`:             "targeting.customer_attributes.tier",
		`{"targeting":{"customer_attributes":5}}`:                      "targeting.customer_attributes",
		`{"Tags":{"a":"x","b":{"c":1}}}`:                               "Tags.b",
	} {
		var n nested
		err := Decode([]byte(js), &n, Options{Strict: true})
		if e, ok := err.(*epilogue.Error); !ok || e.Field != field {
			t.Errorf("%s: got %v, want field %s", js, err, field)
		}
	}
	// In a patch, a null that decoding would skip is named where it is; one that empties a
	// list or map is not refused.
	for js, field := range map[string]string{
		`{"cart":[{"price":"1"},{"quantity":null}]}`: "cart[1].quantity",
		`{"targeting":null}`:                         "targeting",
		`{"cart":null,"Tags":null}`:                  "",
		`{"targeting":{"customer_attributes":null}}`: "",
	} {
		var n nested
		err := Decode([]byte(js), &n, Options{Patch: true})
		if e, ok := err.(*epilogue.Error); (field == "" && err != nil) || (field != "" && (!ok || e.Field != field)) {
			t.Errorf("patch %s: got %v, want field %q", js, err, field)
		}
	}
	if err := Decode([]byte(`{"cart":[]} []`), &b, Options{}); err == nil {
		t.Error("two JSON values accepted")
	}
}

// A strict body with a key twice, or a field name in other letter case, is refused, naming the
// key: encoding/json keeps the last and matches any case, and a proxy or log reading the first,
// or the exact name, would see another request. Maps and arrays are looked into.
func TestDuplicateKeysAreRefused(t *testing.T) {
	type inner struct {
		A map[string]string `json:"a"`
	}
	type body struct {
		Value string  `json:"value"`
		Items []inner `json:"items"`
	}
	for in, field := range map[string]string{
		`{"value":"1.00","value":"900.00"}`:            "value",
		`{"items":[{"a":{}},{"a":{"x":"1","x":"2"}}]}`: "items[1].a.x",
		`{"items":[{"a":{"x":"1"},"a":{"y":"2"}}]}`:    "items[0].a",
	} {
		var v body
		err := Decode([]byte(in), &v, Options{Strict: true})
		var e *epilogue.Error
		if !errors.As(err, &e) || e.Field != field || !strings.Contains(e.Message, "twice") && !strings.Contains(e.Message, "case-sensitive") {
			t.Errorf("%s: %v, want %s refused", in, err, field)
		}
	}
	var v body
	if err := Decode([]byte(`{"value":"1","items":[{"a":{"x":"1","X":"2"}},{"a":{"x":"1"}}]}`), &v, Options{Strict: true}); err != nil {
		t.Errorf("distinct keys: %v", err)
	}
}
