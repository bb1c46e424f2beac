package payload

import (
	"testing"
	"unicode/utf8"
)

func TestUnwrap(t *testing.T) {
	for in, want := range map[string]string{
		`{"order":{"id":1}}`:           `{"id":1}`,
		` { "order" : {"id":1} } `:     `{"id":1}`,
		`{"order":{"id":1},"extra":2}`: `{"order":{"id":1},"extra":2}`, // "order" is a field, not a wrapper
		`{"order":"x"}`:                `{"order":"x"}`,
		`{"id":1,"order":{"id":2}}`:    `{"id":1,"order":{"id":2}}`,
		`{"refund":{"id":1}}`:          `{"refund":{"id":1}}`, // not a wrapper of this topic
		`[{"order":{}}]`:               `[{"order":{}}]`,
		`{"order":{"id":1}`:            `{"order":{"id":1}`,
		``:                             ``,
	} {
		if got := string(Unwrap([]byte(in), "order")); got != want {
			t.Errorf("Unwrap(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestClip(t *testing.T) {
	s := Clip("ééééé", 5)
	if len(s) > 5 || !utf8.ValidString(s) {
		t.Fatalf("%q", s)
	}
	if Clip("  abc ", 10) != "abc" {
		t.Fatal("trim")
	}
}

func TestValues(t *testing.T) {
	var id ID
	for in, want := range map[string]string{`123`: "123", `"abc"`: "abc", `null`: ""} {
		if err := id.UnmarshalJSON([]byte(in)); err != nil || string(id) != want {
			t.Errorf("ID %s: %q %v", in, id, err)
		}
	}
	for _, bad := range []string{`1.5`, `-1`, `true`, `{}`, `1e9`} {
		if err := id.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("ID %s accepted", bad)
		}
	}
	var d Decimal
	for in, want := range map[string]string{`"12.50"`: "12.50", `12.5`: "12.50", `"0"`: "0.00"} {
		if err := d.UnmarshalJSON([]byte(in)); err != nil || d.Amount.String() != want || !d.Set {
			t.Errorf("Decimal %s: %v %v", in, d, err)
		}
	}
	for _, bad := range []string{`"-1.00"`, `-1`, `"abc"`, `true`, `1e3`, `"1.1234567"`} {
		if err := d.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("Decimal %s accepted", bad)
		}
	}
}
