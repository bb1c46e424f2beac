package notify

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"path"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"

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

// partError turns a template error into an invalid_request naming the part and the line. The
// message goes to the shop, so it names the template's own text, never Go's: text/template
// prints the values and types it failed on, pointers and all ("range can't iterate over
// {{{Ada} 0xc000a1b2c0 …", "can't evaluate field X in type *notify.view").
func partError(part string, err error) error {
	var xe texttemplate.ExecError
	if errors.As(err, &xe) {
		return execError(part, xe)
	}
	var e *epilogue.Error
	if errors.As(err, &e) {
		return epilogue.Prefix(part, err)
	}
	msg := err.Error()
	var ee *htmltemplate.Error
	if errors.As(err, &ee) {
		hint, desc := "", scrub(ee.Description)
		switch ee.ErrorCode {
		case htmltemplate.ErrBadHTML:
			hint = " (is a tag, attribute or quote left open?)"
		case htmltemplate.ErrEndContext:
			// Its description prints the escaper's state: {stateURL delimDoubleQuote …}.
			desc = "ends inside a tag, an attribute, a quote or a script left open"
		}
		switch {
		case ee.Line > 0 && ee.Name == part:
			return epilogue.Invalid(part, "line %d: %s%s", ee.Line, desc, hint)
		case ee.Line > 0:
			return epilogue.Invalid(part, "%s line %d: %s%s", ee.Name, ee.Line, desc, hint)
		default:
			return epilogue.Invalid(part, "%s%s", desc, hint)
		}
	}
	if m := templatePos.FindStringSubmatch(msg); m != nil {
		return epilogue.Invalid(part, "%s: %s", where(part, m[1], m[2], m[3]), scrub(m[4]))
	}
	return epilogue.Invalid(part, "%s", scrub(msg))
}

// where says where in a part an error is: "line 3, column 9", or "layout.html line 3, …".
func where(part, name, line, col string) string {
	w := "line " + line
	if col != "" {
		w += ", column " + col
	}
	if name != part {
		w = name + " " + w
	}
	return w
}

// execPos splits an execution error: `template: NAME:LINE:COL: executing "NAME" at <NODE>: DETAIL`.
var execPos = regexp.MustCompile(`(?s)^template: ([^:]+):(\d+):(\d+): executing ".*?" at <(.*?)>: (.*)$`)

// execRules rewrite text/template's execution errors in the template's terms; node is the
// template text being executed. A detail no rule knows is scrubbed of types and addresses.
var execRules = []struct {
	re  *regexp.Regexp
	msg func(node string, m []string) string
}{
	{regexp.MustCompile(`^range can't iterate over `), func(node string, _ []string) string {
		return "cannot iterate over " + node
	}},
	{regexp.MustCompile(`^can't use .* (?:to )?iterate over more than one variable`), func(node string, _ []string) string {
		return "cannot iterate over " + node + " with two variables"
	}},
	{regexp.MustCompile(`^if/with can't use `), func(node string, _ []string) string {
		return "cannot use " + node + " as a condition"
	}},
	{regexp.MustCompile(`^can't evaluate field (\w+) in type `), func(node string, m []string) string {
		return "no field " + m[1] + " in " + node
	}},
	{regexp.MustCompile(`^(\w+) is an unexported field of struct type `), func(node string, m []string) string {
		return "no field " + m[1] + " in " + node
	}},
	{regexp.MustCompile(`^nil pointer evaluating .*\.(\w+)$`), func(node string, m []string) string {
		return "cannot read " + m[1] + " in " + node + ": there is none here (guard it with {{with}})"
	}},
	{regexp.MustCompile(`^(?:error calling \w+: )?value method .* called using nil .* pointer$`), func(node string, _ []string) string {
		return "cannot read " + node + ": there is none here (guard it with {{with}})"
	}},
	{regexp.MustCompile(`^wrong type for value; expected (.+); got (.+)$`), func(node string, m []string) string {
		return node + ": wrong kind of value: want " + friendly(m[1]) + ", got " + friendly(m[2])
	}},
	{regexp.MustCompile(`^error calling ` + showFunc + `: (.*)$`), func(_ string, m []string) string {
		return m[1] // its message names the action and what to print instead
	}},
	{regexp.MustCompile(`^error calling (\w+): (.*)$`), func(_ string, m []string) string {
		return m[1] + ": " + scrub(m[2])
	}},
}

func execError(part string, xe texttemplate.ExecError) error {
	msg := xe.Err.Error()
	// A function that ran out of budget says so in an *epilogue.Error; show its message alone.
	var e *epilogue.Error
	if errors.As(xe.Err, &e) {
		msg = strings.Replace(msg, e.Error(), e.Message, 1)
	}
	m := execPos.FindStringSubmatch(msg)
	if m == nil {
		if m := templatePos.FindStringSubmatch(msg); m != nil {
			return epilogue.Invalid(part, "%s: %s", where(part, m[1], m[2], ""), scrub(m[4]))
		}
		return epilogue.Invalid(part, "%s", scrub(msg))
	}
	node, detail := m[4], m[5]
	for _, r := range execRules {
		if sm := r.re.FindStringSubmatch(detail); sm != nil {
			return epilogue.Invalid(part, "%s: %s", where(part, m[1], m[2], m[3]), r.msg(node, sm))
		}
	}
	return epilogue.Invalid(part, "%s: %s: %s", where(part, m[1], m[2], m[3]), node, scrub(detail))
}

var (
	// goType is a Go type name with a package: notify.view, *epilogue.Amount, []notify.Item.
	goType = regexp.MustCompile(`(?:\*|\[\d*\])*(?:map\[[^\]]*\])?\b[a-z]\w*\.[A-Za-z_]\w*\b`)
	// address is a pointer printed with a value.
	address = regexp.MustCompile(`\b0x[0-9a-fA-F]+\b`)
)

// scrub takes Go's type names and pointer addresses out of an error's text.
func scrub(s string) string {
	s = address.ReplaceAllString(s, "…")
	return goType.ReplaceAllStringFunc(s, friendly)
}

// friendly names a Go type the way a template's author thinks of it.
func friendly(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case strings.HasPrefix(t, "["):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a map"
	case t == "epilogue.Amount":
		return "an amount"
	case t == "time.Time":
		return "a time"
	case t == "string":
		return "text"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "interface"):
		return "a value"
	}
	return "an object"
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
	c, err := compile(tmpl, true)
	if err != nil {
		return err
	}
	// One deadline for all the trial renders, so that saving costs at most one render's time.
	deadline := time.Now().Add(maxRenderTime)
	for _, d := range validationData() {
		if err := c.checkBody(SampleBrand(), d, deadline); err != nil {
			return err
		}
		if _, _, _, err := c.render(SampleBrand(), d, deadline); err != nil {
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
	// Shipment and Loyalty are nil when a message is not about one (an order confirmation has
	// no shipment yet, most messages no points news), and an order may have a single item: a
	// template that renders only with them would fail when the customer's message is due, and
	// that message would be lost. (Order is nil only for a shipment no order came with; the
	// order is what almost every message is about, so its fields are not required guarded.)
	single := SampleData()
	single.Order.Items, single.Shipment, single.Loyalty = single.Order.Items[:1], nil, nil
	return append(out, bare, single)
}
