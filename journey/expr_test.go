package journey

import (
	"strings"
	"testing"
)

func TestExprEval(t *testing.T) {
	vars := Vars{
		"order.total": numVal(120), "order.currency": strVal("EUR"), "customer.locale": strVal("fr"),
		"customer.consent.sms": boolVal(true), "order.categories": listVal([]string{"coffee", "tea"}),
		"customer.attributes.tier": strVal("gold"), "shipment.carrier": strVal("UPS"),
	}
	for src, want := range map[string]bool{
		`order.total >= 100`:                                  true,
		`order.total > 120`:                                   false,
		`order.total <= 120.0 && order.total != 119.5`:        true,
		`order.total < -1`:                                    false,
		`customer.locale == "fr" and order.currency == "EUR"`: true,
		`customer.locale == "de" or order.total >= 100`:       true,
		`not customer.consent.sms`:                            false,
		`!(customer.consent.sms == true)`:                     false,
		`"tea" in order.categories`:                           true,
		`"beer" in order.categories`:                          false,
		`shipment.carrier in ["UPS", "DHL"]`:                  true,
		`shipment.carrier in []`:                              false,
		`customer.attributes.tier == "gold"`:                  true,
		`customer.attributes.missing == ""`:                   true, // unknown here: the zero value
		`shipment.status == ""`:                               true,
		`order.replenishable`:                                 false,
		`order.quantity == 0 || (customer.locale == "fr" and not (order.total < 50))`: true,
		`customer.first_name == "say \"hi\""`:                                         false,
	} {
		e, err := Compile(src)
		if err != nil {
			t.Errorf("Compile(%q): %v", src, err)
			continue
		}
		if got := e.Eval(vars); got != want {
			t.Errorf("%s = %v, want %v", src, got, want)
		}
	}
}

func TestExprRefusedAtSave(t *testing.T) {
	for src, want := range map[string]string{
		``:                                        "empty",
		`order.totl >= 100`:                       `unknown field "order.totl"`,
		`order.total >= "100"`:                    "compares a number with a string",
		`order.total`:                             "must be true or false",
		`customer.locale == "fr" and`:             "unexpected end of condition",
		`(order.total > 1`:                        `expected ")"`,
		`order.total > 1)`:                        `unexpected ")"`,
		`order.total = 1`:                         "unexpected character '='",
		`customer.locale == "fr`:                  "not closed",
		`order.categories == "x"`:                 "compares a list with a string",
		`order.total in ["1"]`:                    `"in" at column 13 needs a string`,
		`order.replenishable > true`:              "cannot order true and false",
		`order.total > 1 and "x"`:                 `"and" joins conditions`,
		`not order.total`:                         "not applies to a condition",
		`customer.attributes.a.b == "x"`:          "unknown field",
		`os.Getenv == "x"`:                        "unknown field",
		`[1, 2]`:                                  "lists hold strings",
		strings.Repeat("(", 40) + "true":          "nests deeper",
		strings.Repeat("true and ", 100) + "true": "more than",
		strings.Repeat("x", maxExprLen+1):         "longer than",
	} {
		_, err := Compile(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%.40q) = %v, want an error containing %q", src, err, want)
		}
	}
}
