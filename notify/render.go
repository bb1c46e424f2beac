package notify

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	texttemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Render renders a template for one recipient: the subject, the HTML part inside the branded
// layout, and the text part. Errors are invalid_request naming the part (subject, html, text)
// and the line. It compiles the template on every call; a Renderer compiles each template once.
func Render(tmpl Template, brand Brand, data Data) (subject, html, text string, err error) {
	c, err := compile(tmpl)
	if err != nil {
		return "", "", "", err
	}
	return c.render(brand, data)
}

// Renderer renders templates, keeping the compiled form of the ones it has seen: parsing and
// escaping the layout is two thirds of the cost of a render.
type Renderer struct {
	mu    sync.Mutex
	cache map[[32]byte]*compiled
	max   int
}

// NewRenderer returns a renderer that keeps up to size compiled templates (256 when size <= 0).
func NewRenderer(size int) *Renderer {
	if size <= 0 {
		size = 256
	}
	return &Renderer{cache: make(map[[32]byte]*compiled), max: size}
}

// Render is Render with the compiled template cached. Safe for concurrent use.
func (r *Renderer) Render(tmpl Template, brand Brand, data Data) (subject, html, text string, err error) {
	key := sha256.Sum256([]byte(tmpl.Locale + "\x00" + tmpl.Subject + "\x00" + tmpl.HTML + "\x00" + tmpl.Text))
	r.mu.Lock()
	c := r.cache[key]
	r.mu.Unlock()
	if c == nil {
		if c, err = compile(tmpl); err != nil {
			return "", "", "", err
		}
		r.mu.Lock()
		if len(r.cache) >= r.max {
			// Templates change rarely; when the cache is full of old versions, start over
			// rather than track recency on every render.
			clear(r.cache)
		}
		r.cache[key] = c
		r.mu.Unlock()
	}
	return c.render(brand, data)
}

// compiled is a template parsed with the layout and blocks, ready to execute concurrently.
type compiled struct {
	locale  string
	words   map[string]string // read-only once built
	subject *texttemplate.Template
	html    *htmltemplate.Template
	text    *texttemplate.Template
}

func compile(tmpl Template) (*compiled, error) {
	c := &compiled{locale: NormalizeLocale(tmpl.Locale)}
	if c.locale == "" {
		c.locale = "en"
	}
	c.words = catalog(c.locale)
	fm := funcs(c.locale)
	var err error
	if c.subject, err = texttemplate.New("subject").Option("missingkey=error").Funcs(fm).Parse(tmpl.Subject); err != nil {
		return nil, partError("subject", err)
	}
	if c.html, err = parseHTML(tmpl.HTML, fm); err != nil {
		return nil, partError("html", err)
	}
	if err := calledTemplatesExist(c.html.Lookup("html").Tree, func(name string) bool { return c.html.Lookup(name) != nil }); err != nil {
		return nil, partError("html", err)
	}
	if c.text, err = parseText(tmpl.Text, fm); err != nil {
		return nil, partError("text", err)
	}
	return c, nil
}

func (c *compiled) view(brand Brand, data Data) *view {
	brand = brand.WithDefaults(brand.Name, brand.SenderAddress)
	return &view{Data: data, Brand: brand, Locale: c.locale, L: c.words}
}

// checkBody executes the HTML body on its own, so that a body leaving a tag or attribute open
// is reported as its own error rather than as a puzzling one in the layout that follows it.
func (c *compiled) checkBody(brand Brand, data Data) error {
	if err := c.html.ExecuteTemplate(io.Discard, "html", c.view(brand, data)); err != nil {
		return partError("html", err)
	}
	return nil
}

func (c *compiled) render(brand Brand, data Data) (subject, html, text string, err error) {
	v := c.view(brand, data)
	var b bytes.Buffer
	if err := c.subject.Execute(&b, v); err != nil {
		return "", "", "", partError("subject", err)
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	if subject == "" {
		return "", "", "", epilogue.Invalid("subject", "renders empty")
	}
	v.Subject = subject
	b.Reset()
	if err := c.html.ExecuteTemplate(&b, "layout.html", v); err != nil {
		return "", "", "", partError("html", err)
	}
	html = b.String()
	b.Reset()
	if err := c.text.ExecuteTemplate(&b, "layout.txt", v); err != nil {
		return "", "", "", partError("text", err)
	}
	return subject, html, tidyText(b.String()), nil
}

// parseHTML parses the shared layout and blocks, then the template's body as "html", last so
// that its "preheader" (and any block it redefines) wins.
func parseHTML(body string, fm map[string]any) (*htmltemplate.Template, error) {
	// The root has a name of its own: html/template forgets the functions of a template
	// re-created under the root's name.
	t := htmltemplate.New("email").Option("missingkey=error").Funcs(fm)
	for _, name := range []string{"layout.html", "blocks.html"} {
		src, err := fs.ReadFile(templateFS, "templates/"+name)
		if err != nil {
			return nil, err
		}
		if _, err := t.New(name).Parse(string(src)); err != nil {
			return nil, err
		}
	}
	if _, err := t.New("html").Parse(body); err != nil {
		return nil, err
	}
	return t, nil
}

// parseText is parseHTML for the plain-text part.
func parseText(body string, fm map[string]any) (*texttemplate.Template, error) {
	t := texttemplate.New("email").Option("missingkey=error").Funcs(fm)
	for _, name := range []string{"layout.txt", "blocks.txt"} {
		src, err := fs.ReadFile(templateFS, "templates/"+name)
		if err != nil {
			return nil, err
		}
		if _, err := t.New(name).Parse(string(src)); err != nil {
			return nil, err
		}
	}
	if _, err := t.New("text").Parse(body); err != nil {
		return nil, err
	}
	return t, nil
}

// calledTemplatesExist reports a {{template "name"}} of a template that does not exist, with
// its line: html/template would report it against the layout that included the body.
func calledTemplatesExist(tree *parse.Tree, exists func(string) bool) error {
	var err error
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if err != nil || n == nil {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.TemplateNode:
			if !exists(n.Name) {
				loc, _ := tree.ErrorContext(n)
				err = fmt.Errorf("template: %s: no such template %q", loc, n.Name)
			}
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		}
	}
	if tree != nil {
		walk(tree.Root)
	}
	return err
}

// view is what the templates execute on: the data, the brand, the locale and its words.
type view struct {
	Data
	Brand   Brand
	Locale  string
	Subject string
	L       map[string]string
}

// button is what the "button" block draws.
type button struct {
	URL, Label, Color, TextColor, Margin string
}

// Button returns a call to action in the brand's primary colour, for the "button" block:
// {{template "button" ($.Button .Links.Review "Write a review")}}.
func (v *view) Button(url, label string) button {
	return button{URL: url, Label: label, Color: v.Brand.PrimaryColor, TextColor: textOn(v.Brand.PrimaryColor), Margin: "24px 0"}
}

// AccentButton is Button in the accent colour, for secondary actions such as offers.
func (v *view) AccentButton(url, label string) button {
	return button{URL: url, Label: label, Color: v.Brand.AccentColor, TextColor: textOn(v.Brand.AccentColor), Margin: "12px 0 0 0"}
}

// funcs are the functions templates may call, bound to the locale.
func funcs(locale string) map[string]any {
	return map[string]any{
		"money": func(a epilogue.Amount, currency string) string { return formatMoney(locale, a, currency) },
		"date": func(t any) (string, error) {
			switch t := t.(type) {
			case time.Time:
				return formatDate(locale, t), nil
			case *time.Time:
				if t == nil {
					return "", nil
				}
				return formatDate(locale, *t), nil
			}
			return "", fmt.Errorf("date: want a time, got %T", t)
		},
		"status": func(s string) string { return statusName(locale, s) },
		"textOn": textOn,
		// withQuery adds key=value to a URL's query, escaped: {{.Links.Survey | withQuery "score" 9}}.
		"withQuery": func(key string, value any, raw string) (string, error) {
			u, err := url.Parse(raw)
			if err != nil {
				return "", err
			}
			q := u.Query()
			q.Set(key, fmt.Sprint(value))
			u.RawQuery = q.Encode()
			return u.String(), nil
		},
		"seq": func(from, to int) []int {
			var out []int
			for i := from; i <= to && len(out) < 100; i++ {
				out = append(out, i)
			}
			return out
		},
		"mul": func(a epilogue.Amount, n int) epilogue.Amount { return a * epilogue.Amount(n) },
	}
}

// tidyText trims trailing spaces and squeezes the blank lines that template actions leave.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
