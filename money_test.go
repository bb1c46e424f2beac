package epilogue

import (
	"encoding/json"
	"testing"
)

func TestParseAmount(t *testing.T) {
	good := map[string]Amount{"0": 0, "4.00": 4 * Micro, "12.5": 12_500_000, "0.000001": 1, "1000000": 1_000_000 * Micro,
		"1000000000000": maxAmount}
	for in, want := range good {
		got, err := ParseAmount(in)
		if err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.", ".5", "1.0000001", "1e3", "12,50", " 1", "abc", "99999999999999", "0x10", "+1"} {
		if _, err := ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) accepted", in)
		}
	}
	// Thirteen digits of units pass the syntax but overflow int64 once scaled to micro-units:
	// they must be refused as too large, never wrap round to a negative amount.
	for _, in := range []string{"1000000000000.000001", "1000000000001", "9223372036854.775808", "9999999999999", "9999999999999.999999"} {
		if got, err := ParseAmount(in); err == nil || ErrorCode(err) != EInvalid {
			t.Errorf("ParseAmount(%q) = %v, %v; want too large", in, got, err)
		}
	}
	for a, want := range map[Amount]string{0: "0.00", 4 * Micro: "4.00", 12_500_000: "12.50", 1: "0.000001", 1_234_560: "1.23456"} {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(a), got, want)
		}
	}
}

func TestAmountJSONRefusesNumbers(t *testing.T) {
	var v struct {
		A Amount `json:"a"`
	}
	if err := json.Unmarshal([]byte(`{"a":4.5}`), &v); err == nil {
		t.Fatal("a JSON number was accepted as money")
	}
	if err := json.Unmarshal([]byte(`{"a":"4.5"}`), &v); err != nil || v.A != 4_500_000 {
		t.Fatalf("%v %v", v.A, err)
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"a":"4.50"}` {
		t.Fatalf("marshal: %s", b)
	}
}

func TestCurrencies(t *testing.T) {
	for _, c := range []string{"USD", "EUR", "JPY", "GBP", "CHF"} {
		if !ValidCurrency(c) {
			t.Errorf("%s refused", c)
		}
	}
	for _, c := range []string{"usd", "US", "USDX", "XYZ", "D A", "", " US"} {
		if ValidCurrency(c) {
			t.Errorf("%q accepted", c)
		}
	}
}
