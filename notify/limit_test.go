package notify_test

import (
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// within runs f and fails t if it takes more than 2 s or allocates more than 64 MB in all:
// the hostile templates below took gigabytes and minutes before renders were bounded.
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	err := f()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if took > 2*time.Second {
		t.Errorf("%s took %v", what, took)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("%s allocated %d MB", what, n>>20)
	}
	return err
}

func TestHostileTemplatesStopFast(t *testing.T) {
	nest := func(n int, loop, body string) string {
		return strings.Repeat(loop, n) + body + strings.Repeat("{{end}}", n)
	}
	calls := `{{define "t0"}}xxxxxxxxxx{{end}}` // t7 calls t6 ten times … 10^7 calls of t0, no loop
	for i := 1; i <= 7; i++ {
		calls += `{{define "t` + string(rune('0'+i)) + `"}}` + strings.Repeat(`{{template "t`+string(rune('0'+i-1))+`"}}`, 10) + `{{end}}`
	}
	calls += `{{template "t7"}}`
	big := notify.SampleData() // a preview may bring its own data
	for range 5000 {
		big.Order.Items = append(big.Order.Items, notify.Item{Title: "x", Quantity: 1})
	}
	const steps, output = "takes more than 100000 steps", "renders more than"
	for _, tc := range []struct {
		name, part, src string
		data            *notify.Data // for a render after Validate, when Validate lets it pass
		want            string
	}{
		{"probe: 10^8 writes of 10 bytes", "html", nest(4, "{{range seq 1 100}}", "xxxxxxxxxx"), nil, steps},
		{"10 MB email", "html", nest(3, "{{range seq 1 100}}", "xxxxxxxxxx"), nil, steps},
		{"big body, few steps", "html", nest(2, "{{range seq 1 100}}", strings.Repeat("x", 100)), nil, output + " 512 KiB"},
		{"seq over 100", "html", nest(3, "{{range seq 1 1000}}", ""), nil, "seq: gives at most 100 numbers"},
		{"10^8 empty turns", "html", nest(4, "{{range seq 1 100}}", ""), nil, steps},
		{"range over an int", "html", "{{range 1000000000}}{{end}}", nil, steps},
		{"turns that only test", "html", nest(3, "{{range seq 1 100}}", strings.Repeat("{{if $.Order}}{{end}}", 2000)), nil, steps},
		{"template calls", "html", calls, nil, steps},
		{"recursion", "html", `{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}`, nil, `template "a" calls itself`},
		{"mutual recursion", "subject", `{{define "a"}}{{template "b"}}{{end}}{{define "b"}}{{template "a"}}{{end}}Hi`, nil, "calls itself"},
		{"printf widths", "html", `{{printf "%01000000d%01000000d" 0 0}}`, nil, "printf: would make more than 1 MiB"},
		{"printf arguments", "html", "{{len (print" + strings.Repeat(` (printf "%0900000d" 0)`, 50) + ")}}", nil, "printf: would make more than 1 MiB"},
		{"js doubling", "html", "{{js " + strings.Repeat("(js ", 40) + `"\\"` + strings.Repeat(")", 40) + "}}", nil, "js: would make more than 1 MiB"},
		{"printing the whole view", "text", `{{print . . . .}}`, nil, "print: cannot print a list, a map or an object"},
		{"html of many values", "html", `{{html . . . .}}`, nil, "html takes one argument"},
		{"long subject", "subject", nest(2, "{{range seq 1 100}}", "x"), nil, output + " 2 KiB"},
		{"long text", "text", nest(2, "{{range seq 1 100}}", strings.Repeat("x", 100)), nil, output + " 256 KiB"},
		{"nested loops over preview data", "html", nest(3, "{{range $.Order.Items}}", ""), &big, steps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _ := notify.Builtin(notify.TemplateOrderConfirmation, "en")
			tmpl := withPart(base, tc.part, tc.src)
			check := func(what string, err error) {
				t.Helper()
				var e *epilogue.Error
				if !asError(err, &e) || e.Code != epilogue.EInvalid || e.Field != tc.part || !strings.Contains(e.Message, tc.want) {
					t.Errorf("%s = %v, want invalid %s mentioning %q", what, err, tc.part, tc.want)
				}
			}
			data := notify.SampleData()
			if tc.data == nil {
				check("Validate", within(t, "Validate", func() error { return notify.Validate(tmpl) }))
			} else {
				data = *tc.data
			}
			check("Render", within(t, "Render", func() error {
				_, _, _, err := notify.Render(tmpl, notify.SampleBrand(), data)
				return err
			}))
			r := notify.NewRenderer(0)
			for range 2 { // the second render takes the cached copy
				check("Renderer.Render", within(t, "Renderer.Render", func() error {
					_, _, _, err := r.Render(tmpl, notify.SampleBrand(), data)
					return err
				}))
			}
		})
	}
}

func TestTemplateErrorsHideInternals(t *testing.T) {
	// What text/template says names Go types and prints values with their pointers:
	// "range can't iterate over {{{Ada} 0xc000… ", "can't evaluate field X in type *notify.view".
	internal := regexp.MustCompile(`0x[0-9a-f]|notify\.|epilogue\.|time\.|\*[A-Za-z]|can't|executing|interface \{\}|state[A-Z]|delim[A-Z]|pointer`)
	for _, tc := range []struct{ src, want string }{
		{"<p>\n{{range .}}{{end}}", "line 2, column 8: cannot iterate over ."},
		{"<p>\n{{range .Customer}}{{end}}", "line 2, column 8: cannot iterate over .Customer"},
		{"x\n\n{{.Nope}}", "line 3, column 2: no field Nope in .Nope"},
		{"{{.Order.Nope}}", "no field Nope in .Order.Nope"},
		{`{{money .Customer.FirstName "USD"}}`, "wrong kind of value: want an amount, got text"},
		{"{{if eq .Order 1}}{{end}}", "eq: incompatible types for comparison: an object and int"},
		{"{{date .Customer}}", "date: want a time"},
		{"{{range $i, $j := 5}}{{end}}", "cannot iterate over 5 with two variables"},
		{"{{index .Order.Items 9}}", "index: index out of range: 9"},
		{"{{if .Loyalty}}{{.Loyalty.Points.X}}{{end}}", "no field X in .Loyalty.Points.X"},
		{"{{with .Order}}{{.Items.X}}{{end}}", "line 1, column 23: no field X in .Items.X"},
		{`<p><a href="`, "ends inside a tag, an attribute, a quote or a script left open"},
		{`<script>{{.Order.ID}}`, "ends inside a tag, an attribute, a quote or a script left open"},
		{"{{.Shipment.EstimatedDelivery.Year}}", "there is none here (guard it with {{with}})"},
	} {
		tmpl, _ := notify.Builtin(notify.TemplateShipped, "en")
		tmpl.HTML = tc.src
		err := notify.Validate(tmpl)
		var e *epilogue.Error
		if !asError(err, &e) || e.Field != "html" || !strings.Contains(e.Message, tc.want) || internal.MatchString(e.Message) {
			t.Errorf("%q: Validate = %v, want html mentioning %q and nothing of Go's", tc.src, err, tc.want)
		}
	}
	// Preview data may leave out what the template reads: a nil pointer is not a Go message either.
	tmpl, _ := notify.Builtin(notify.TemplateShipped, "en")
	tmpl.HTML = "{{.Order.ID}}"
	_, _, _, err := notify.Render(tmpl, notify.SampleBrand(), notify.Data{})
	if err == nil || !strings.Contains(err.Error(), "cannot read ID in .Order.ID") || internal.MatchString(err.Error()) {
		t.Errorf("nil order: %v", err)
	}
}

func TestBoundedFunctionsStillWork(t *testing.T) {
	tmpl, _ := notify.Builtin(notify.TemplateShipped, "en")
	tmpl.Text = `{{printf "%05d %s" 42 .Customer.FirstName}}|{{print 1 2 "a"}}|{{js "a'b"}}|{{urlquery "a b"}}|{{html "<b>"}}|` +
		`{{range seq 1 3}}{{.}}{{end}}|{{seq 9223372036854775807 9223372036854775807}}|{{len (seq -5 94)}}|{{printf "%v" .Order.Total}}`
	tmpl.HTML = `<p>{{.Customer.FirstName | html}}|{{printf "<%s>" .Customer.FirstName}}|{{.Links.Survey | withQuery "score" 7}}</p>`
	if err := notify.Validate(tmpl); err != nil {
		t.Fatal(err)
	}
	_, html, text, err := notify.Render(tmpl, notify.SampleBrand(), notify.SampleData())
	if err != nil {
		t.Fatal(err)
	}
	if want := `00042 Ada|1 2a|a\'b|a+b|&lt;b&gt;|123|[9223372036854775807]|100|58.5`; !strings.Contains(text, want) {
		t.Errorf("text lacks %s:\n%s", want, text)
	}
	if want := `<p>Ada|&lt;Ada&gt;|https://shop.example/nps/1001?score=7&amp;sig=abc</p>`; !strings.Contains(html, want) {
		t.Errorf("html lacks %s:\n%s", want, grep(html, "Ada|"))
	}
}

// withPart returns t with one part ("subject", "html" or "text") replaced by src.
func withPart(t notify.Template, part, src string) notify.Template {
	switch part {
	case "subject":
		t.Subject = src
	case "html":
		t.HTML = src
	case "text":
		t.Text = src
	}
	return t
}

// A NUL in the data (PostgreSQL cannot store one) never reaches a rendered message.
func TestRenderedMessagesHoldNoNUL(t *testing.T) {
	tmpl, _ := notify.Builtin(notify.TemplateShipped, "en")
	tmpl.Subject, tmpl.Text = "Hi {{.Customer.FirstName}}", "Hi {{.Customer.FirstName}}"
	d := notify.SampleData()
	d.Customer.FirstName = "A\x00da"
	subject, html, text, err := notify.Render(tmpl, notify.SampleBrand(), d)
	if err != nil {
		t.Fatal(err)
	}
	for part, s := range map[string]string{"subject": subject, "html": html, "text": text} {
		if strings.Contains(s, "\x00") || !strings.Contains(s, "Ada") && part != "html" {
			t.Errorf("%s: %q", part, s)
		}
	}
}
