package notify_test

import (
	"strings"
	"testing"

	"github.com/epiloguehq/epilogue/notify"
)

// Printing a whole object or list of objects is refused when the template is saved, saying
// what to print instead: it would put Go's rendering of the value into a customer's email.
func TestPrintingAWholeObjectIsRefused(t *testing.T) {
	base, _ := notify.Builtin(notify.TemplateShipped, "en")
	for _, c := range []struct{ part, src, want string }{
		{"subject", "Your order {{.Order}}", "{{.Order}} prints a whole object: print one of its fields (ID, Items, Total, Currency, PlacedAt), such as {{.Order.ID}}"},
		{"text", "{{.}}", "{{.}} prints a whole object: print one of its fields (Customer, Order, Shipment, Links, Offers, Loyalty, Brand, Locale, Subject, L), such as {{.Locale}}"},
		{"text", "{{with .Loyalty}}{{.}}{{end}}", "{{.}} prints a whole object: print one of its fields (Points, Balance), such as {{.Points}}"},
		{"html", "<p>{{.Order.Items}}</p>", "{{.Order.Items}} prints a whole list: go through it with {{range .Order.Items}}…{{end}}"},
		{"html", "{{range .Offers}}<a>{{.}}</a>{{end}}", "{{.}} prints a whole object"},
		{"html", "<p>{{.Shipment | html}}</p>", "{{.Shipment | html}} prints a whole object: print one of its fields (Carrier, TrackingNumber, TrackingURL, Status, EstimatedDelivery) (html)"},
	} {
		err := notify.Validate(withPart(base, c.part, c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "epilogueShow") {
			t.Errorf("%s %q: %v, want %q", c.part, c.src, err, c.want)
		}
	}
	// What prints itself is fine: amounts, times, words, lists of numbers, and what a
	// function made of an object.
	tmpl := base
	tmpl.Text = `{{.Order.Total}}|{{.Order.PlacedAt.Year}}|{{.Customer.FirstName | html}}|{{len .Offers}}|{{with .Loyalty}}{{printf "%d" .Points}}{{end}}|{{range .Order.Items}}{{.Title}};{{end}}`
	if err := notify.Validate(tmpl); err != nil {
		t.Fatal(err)
	}
	_, _, text, err := notify.Render(tmpl, notify.SampleBrand(), notify.SampleData())
	if want := "58.50|2026|Ada|2|58|Single-origin espresso beans, 1 kg;Paper filters (100);"; err != nil || !strings.Contains(text, want) {
		t.Errorf("text %q (%v), want %q in it", text, err, want)
	}
}
