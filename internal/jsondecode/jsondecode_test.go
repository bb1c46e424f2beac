package jsondecode

import (
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
	if err := Decode([]byte(`{"cart":[]} []`), &b, Options{}); err == nil {
		t.Error("two JSON values accepted")
	}
}
