package notify

import (
	"io"
	"testing"
	"time"
)

// TestBuiltinsFarBelowLimits keeps the render limits far from what real messages need: a
// template near a limit at save time could cross it with a customer's bigger order.
func TestBuiltinsFarBelowLimits(t *testing.T) {
	for _, tmpl := range Builtins() {
		c, err := compile(tmpl, true)
		if err != nil {
			t.Fatal(err)
		}
		v := c.view(SampleBrand(), SampleData())
		v.Subject = "Subject"
		deadline := time.Now().Add(maxRenderTime)
		for _, p := range []struct {
			part string
			max  int
			run  func(io.Writer) error
		}{
			{"subject", maxSubjectOut, func(w io.Writer) error { return c.subject.Execute(w, v) }},
			{"html", maxHTMLOut, func(w io.Writer) error { return c.html.ExecuteTemplate(w, "layout.html", v) }},
			{"text", maxTextOut, func(w io.Writer) error { return c.text.ExecuteTemplate(w, "layout.txt", v) }},
		} {
			out, err := c.execute(p.part, p.max, deadline, false, p.run)
			if err != nil {
				t.Fatalf("%s/%s %s: %v", tmpl.ID, tmpl.Locale, p.part, err)
			}
			if used := maxSteps - c.budget.steps; used > maxSteps/100 {
				t.Errorf("%s/%s %s: %d steps, over 1%% of the limit", tmpl.ID, tmpl.Locale, p.part, used)
			}
			if len(out) > p.max/10 {
				t.Errorf("%s/%s %s: %d bytes, over 10%% of the limit", tmpl.ID, tmpl.Locale, p.part, len(out))
			}
		}
	}
}
