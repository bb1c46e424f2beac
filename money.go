package epilogue

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
)

// Amount is a non-negative decimal quantity of money in millionths of a currency unit. It is
// written in JSON as a decimal string ("4.00"); a JSON number is refused, because floats cannot
// hold money exactly.
type Amount int64

// Micro is one currency unit expressed as an Amount.
const Micro Amount = 1_000_000

// maxAmount keeps sums of amounts far from overflow (a trillion units).
const maxAmount = Amount(1_000_000_000_000) * Micro

// ParseAmount parses a non-negative decimal string with at most 6 fractional digits.
func ParseAmount(s string) (Amount, error) {
	if s == "" {
		return 0, Errorf(EInvalid, "must be a decimal string such as \"12.50\"")
	}
	if s[0] == '-' {
		return 0, Errorf(EInvalid, "must not be negative")
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") || len(frac) > 6 || !digits(intPart) || !digits(frac) || len(intPart) > 13 {
		return 0, Errorf(EInvalid, "must be a decimal string such as \"12.50\" (at most 6 decimals), not %q", s)
	}
	// The bound is checked on the whole units, before they are scaled: thirteen digits of
	// units are more micro-units than an int64 holds, and a wrapped product is negative.
	whole, _ := strconv.ParseInt(intPart, 10, 64)
	v := Amount(0)
	if whole <= int64(maxAmount/Micro) {
		v = Amount(whole) * Micro
		if frac != "" {
			f, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
			v += Amount(f)
		}
	}
	if whole > int64(maxAmount/Micro) || v > maxAmount {
		return 0, Errorf(EInvalid, "is too large (at most %s)", maxAmount)
	}
	return v, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats the amount with two decimals, or more when it has finer precision.
func (a Amount) String() string {
	neg := a < 0
	if neg {
		a = -a
	}
	whole, frac := int64(a/Micro), int64(a%Micro)
	fs := strconv.FormatInt(frac+1_000_000, 10)[1:] // six digits
	fs = strings.TrimRight(fs, "0")
	for len(fs) < 2 {
		fs += "0"
	}
	s := strconv.FormatInt(whole, 10) + "." + fs
	if neg {
		s = "-" + s
	}
	return s
}

// Float returns the amount in currency units, for statistics only (never for bookkeeping).
func (a Amount) Float() float64 { return float64(a) / float64(Micro) }

// AmountFromFloat rounds a float number of units to an Amount (simulations and statistics).
func AmountFromFloat(f float64) Amount {
	if f < 0 {
		return -AmountFromFloat(-f)
	}
	return Amount(f*float64(Micro) + 0.5)
}

// MarshalJSON writes the amount as a decimal string.
func (a Amount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + a.String() + `"`), nil
}

// UnmarshalJSON accepts only a decimal string.
func (a *Amount) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) < 2 || b[0] != '"' {
		return FieldError(reflect.TypeFor[Amount](), "", "must be a decimal string such as \"12.50\", not a number")
	}
	v, err := ParseAmount(string(b[1 : len(b)-1]))
	if err != nil {
		return FieldError(reflect.TypeFor[Amount](), "", err.(*Error).Message)
	}
	*a = v
	return nil
}

// Money is an amount in a currency.
type Money struct {
	Amount   Amount `json:"amount"`
	Currency string `json:"currency"`
}

// Validate checks the currency code.
func (m Money) Validate() error {
	if !ValidCurrency(m.Currency) {
		return Invalid("currency", "unknown ISO 4217 currency %q", m.Currency)
	}
	return nil
}

// ValidCurrency reports whether c is an active ISO 4217 code (upper case).
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	return strings.Contains(currencies, " "+c+" ")
}

// currencies lists the active ISO 4217 alphabetic codes, each between spaces.
const currencies = " AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD" +
	" CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD" +
	" GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT" +
	" LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR" +
	" NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP" +
	" STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG" +
	" XOF XPF YER ZAR ZMW ZWG "

// MinorUnits returns how many decimals a currency's minor unit has, as ISO 4217 lists them: 0 for
// JPY, 2 for USD, 3 for KWD. A code not listed answers 2, the common case.
func MinorUnits(currency string) int {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}

// FitsCurrency reports whether a is a whole number of the currency's minor units: "1.005" dollars
// is not (nobody can pay a tenth of a cent), "100.00" yen is.
func (a Amount) FitsCurrency(currency string) bool {
	unit := Micro
	for range MinorUnits(currency) {
		unit /= 10
	}
	return a%unit == 0
}

// TooPrecise is the error on field for an amount finer than its currency's minor unit (one
// that FitsCurrency refuses).
func TooPrecise(field string, a Amount, currency string) error {
	if n := MinorUnits(currency); n > 0 {
		return Invalid(field, "must have at most %d decimals in %s, not %s", n, currency, a)
	}
	return Invalid(field, "must be a whole number of %s (it has no minor unit), not %s", currency, a)
}
