package notify

import (
	"strings"
	"testing"

	"github.com/epiloguehq/epilogue"
)

// Money shows as many decimals as the currency's minor unit has (epilogue.MinorUnits).
func TestFormatMoneyFollowsMinorUnits(t *testing.T) {
	for _, c := range []struct {
		locale, currency string
		a                epilogue.Amount
		want             string
	}{
		{"en", "USD", 1_234_500_000, "$1,234.50"},
		{"en", "USD", 50_000, "$0.05"},
		{"en", "JPY", 1_234_600_000, "¥1,235"},
		{"en", "KWD", 49_100_000, "49.100"},
		{"en", "XPF", 1_234_600_000, "1,235"},
		{"de", "EUR", 1_234_500_000, "1.234,50"},
	} {
		if got := formatMoney(c.locale, c.a, c.currency); !strings.Contains(got, c.want) {
			t.Errorf("%s %s %v: %q, want it to show %q", c.locale, c.currency, c.a, got, c.want)
		}
	}
}

// Tags compare without case: a customer's "zh-hant" finds the shop's "zh-Hant" template.
func TestNormalizeLocale(t *testing.T) {
	for in, want := range map[string]string{
		"fr_ca": "fr-CA", "FR-ca": "fr-CA", "en": "en", "zh-hant": "zh-Hant", "ZH-HANT": "zh-Hant", "zh-Hant-tw": "zh-Hant-TW",
		"es-419": "es-419", "sr-latn-RS": "sr-Latn-RS", "french": "", "en-": "", "en-US-x": "", "../../etc": "", "zh-TW-Hant": "",
	} {
		if got := NormalizeLocale(in); got != want {
			t.Errorf("NormalizeLocale(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fallbacks("zh-hant-tw"); strings.Join(got, " ") != "zh-Hant-TW zh-Hant zh en" {
		t.Errorf("fallbacks: %v", got)
	}
}
