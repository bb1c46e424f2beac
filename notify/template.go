package notify

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"path"
	"regexp"
	"strings"

	"github.com/epiloguehq/epilogue"
)

// Template is one message template in one locale. HTML is the body that goes inside the
// branded layout (it may {{define "preheader"}}); Text is the plain-text part; Subject is one
// line. All three are Go templates over Data, plus .Brand, .Locale and .L (the layout's words).
type Template struct {
	ID      string `json:"id"`
	Locale  string `json:"locale"`
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

// Built-in template ids.
const (
	TemplateOrderConfirmation = "order_confirmation"
	TemplateShipped           = "shipped"
	TemplateOutForDelivery    = "out_for_delivery"
	TemplateDelivered         = "delivered"
	TemplateDelayApology      = "delay_apology" // delayed, attempt failed or exception
	TemplateReviewRequest     = "review_request"
	TemplateNPSSurvey         = "nps_survey"
	TemplateReplenishment     = "replenishment"
	TemplateLoyaltyPoints     = "loyalty_points"
)

// TemplateIDs returns the ids of the built-in templates.
func TemplateIDs() []string {
	return []string{TemplateOrderConfirmation, TemplateShipped, TemplateOutForDelivery, TemplateDelivered,
		TemplateDelayApology, TemplateReviewRequest, TemplateNPSSurvey, TemplateReplenishment, TemplateLoyaltyPoints}
}

//go:embed templates
var templateFS embed.FS

// Builtins returns every built-in template in every shipped locale.
func Builtins() []Template {
	var out []Template
	for _, l := range Locales() {
		for _, id := range TemplateIDs() {
			t, err := readBuiltin(id, l)
			if err != nil {
				panic(err) // the embedded files are part of the program; a test covers each
			}
			out = append(out, t)
		}
	}
	return out
}

// Builtin returns the built-in template id in the closest shipped locale (fr-CA → fr → en).
func Builtin(id, locale string) (Template, bool) {
	for _, l := range fallbacks(locale) {
		if t, err := readBuiltin(id, l); err == nil {
			return t, true
		}
	}
	return Template{}, false
}

// Lookup returns the variant of template id that best fits locale among ts: the exact locale,
// then its language, then English.
func Lookup(ts []Template, id, locale string) (Template, bool) {
	for _, l := range fallbacks(locale) {
		for _, t := range ts {
			if t.ID == id && NormalizeLocale(t.Locale) == l {
				return t, true
			}
		}
	}
	return Template{}, false
}

// readBuiltin reads templates/LOCALE/ID.html and ID.txt; the text file starts with a
// "Subject: " line and a blank line, like an email.
func readBuiltin(id, locale string) (Template, error) {
	h, err := templateFS.ReadFile(path.Join("templates", locale, id+".html"))
	if err != nil {
		return Template{}, err
	}
	txt, err := templateFS.ReadFile(path.Join("templates", locale, id+".txt"))
	if err != nil {
		return Template{}, err
	}
	head, body, ok := strings.Cut(string(txt), "\n\n")
	subject, found := strings.CutPrefix(head, "Subject: ")
	if !ok || !found || strings.Contains(subject, "\n") {
		return Template{}, fmt.Errorf("notify: %s/%s.txt must start with a Subject: line and a blank line", locale, id)
	}
	return Template{ID: id, Locale: locale, Subject: subject, HTML: string(h), Text: body}, nil
}

// templatePos finds "NAME:LINE[:COL]:" in a text/template or html/template error.
var templatePos = regexp.MustCompile(`^(?:html/)?template: ?([\w.]+):(\d+)(?::(\d+))?: ?(.*)$`)

// partError turns a template error into an invalid_request naming the part and the line.
func partError(part string, err error) error {
	var e *epilogue.Error
	if errors.As(err, &e) {
		return epilogue.Prefix(part, err)
	}
	msg := err.Error()
	var ee *htmltemplate.Error
	if errors.As(err, &ee) {
		hint := ""
		if ee.ErrorCode == htmltemplate.ErrBadHTML || ee.ErrorCode == htmltemplate.ErrEndContext {
			hint = " (is a tag, attribute or quote left open?)"
		}
		switch {
		case ee.Line > 0 && ee.Name == part:
			return epilogue.Invalid(part, "line %d: %s%s", ee.Line, ee.Description, hint)
		case ee.Line > 0:
			return epilogue.Invalid(part, "%s line %d: %s%s", ee.Name, ee.Line, ee.Description, hint)
		default:
			return epilogue.Invalid(part, "%s%s", ee.Description, hint)
		}
	}
	if m := templatePos.FindStringSubmatch(msg); m != nil {
		where := "line " + m[2]
		if m[3] != "" {
			where += ", column " + m[3]
		}
		if m[1] != part {
			where = m[1] + " " + where
		}
		return epilogue.Invalid(part, "%s: %s", where, m[4])
	}
	return epilogue.Invalid(part, "%s", msg)
}

// templateID is the shape of a template id: lower case words joined by underscores.
var templateID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// maxPart bounds each part of a template.
const maxPart = 64 << 10

// Validate checks a template before it is saved: its id and locale, then it compiles and
// executes every part against sample data (in several shipment states), so unknown fields,
// syntax errors and bad pipelines are caught now rather than when a customer's message is due.
// The error is an invalid_request naming the part and line.
func Validate(tmpl Template) error {
	if !templateID.MatchString(tmpl.ID) {
		return epilogue.Invalid("id", "must be lower-case letters, digits and underscores, such as \"shipped\"")
	}
	if NormalizeLocale(tmpl.Locale) == "" {
		return epilogue.Invalid("locale", "must be a locale such as \"en\" or \"fr-CA\", not %q", tmpl.Locale)
	}
	for _, p := range []struct{ name, v string }{{"subject", tmpl.Subject}, {"html", tmpl.HTML}, {"text", tmpl.Text}} {
		if strings.TrimSpace(p.v) == "" {
			return epilogue.Invalid(p.name, "is required")
		}
		if len(p.v) > maxPart {
			return epilogue.Invalid(p.name, "is longer than %d KB", maxPart>>10)
		}
	}
	c, err := compile(tmpl)
	if err != nil {
		return err
	}
	for _, d := range validationData() {
		if err := c.checkBody(SampleBrand(), d); err != nil {
			return err
		}
		if _, _, _, err := c.render(SampleBrand(), d); err != nil {
			return err
		}
	}
	return nil
}

// validationData is the sample data in the states that templates commonly branch on.
func validationData() []Data {
	var out []Data
	for _, st := range []string{epilogue.ShipInTransit, epilogue.ShipDelayed, epilogue.ShipException, epilogue.ShipAttemptFailed} {
		d := SampleData()
		d.Shipment.Status = st
		out = append(out, d)
	}
	bare := SampleData()
	bare.Customer.FirstName, bare.Offers, bare.Shipment.EstimatedDelivery = "", nil, nil
	return append(out, bare)
}
