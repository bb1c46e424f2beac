package notify

import (
	"crypto/sha256"
	"errors"
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
	c, err := compile(tmpl, false)
	if err != nil {
		return "", "", "", err
	}
	return c.render(brand, data, time.Now().Add(maxRenderTime))
}

// Renderer renders templates, keeping the compiled form of the ones it has seen: parsing and
// escaping the layout is two thirds of the cost of a render.
type Renderer struct {
	mu    sync.Mutex
	cache map[[32]byte]*pool
	max   int
}

// pool holds compiled copies of one template: a copy renders one message at a time (its
// functions charge that render's budget), so concurrent renders each take their own.
type pool struct {
	tmpl Template
	free sync.Pool
}

func (p *pool) get() (*compiled, error) {
	if c, ok := p.free.Get().(*compiled); ok {
		return c, nil
	}
	return compile(p.tmpl, false)
}

// NewRenderer returns a renderer that keeps up to size compiled templates (256 when size <= 0).
func NewRenderer(size int) *Renderer {
	if size <= 0 {
		size = 256
	}
	return &Renderer{cache: make(map[[32]byte]*pool), max: size}
}

// Render is Render with the compiled template cached. Safe for concurrent use.
func (r *Renderer) Render(tmpl Template, brand Brand, data Data) (subject, html, text string, err error) {
	key := sha256.Sum256([]byte(tmpl.Locale + "\x00" + tmpl.Subject + "\x00" + tmpl.HTML + "\x00" + tmpl.Text))
	r.mu.Lock()
	p := r.cache[key]
	r.mu.Unlock()
	if p == nil {
		// Compile once here rather than in get, so that a template that does not compile
		// is reported and never cached.
		c, err := compile(tmpl, false)
		if err != nil {
			return "", "", "", err
		}
		p = &pool{tmpl: tmpl}
		p.free.Put(c)
		r.mu.Lock()
		if len(r.cache) >= r.max {
			// Templates change rarely; when the cache is full of old versions, start over
			// rather than track recency on every render.
			clear(r.cache)
		}
		r.cache[key] = p
		r.mu.Unlock()
	}
	c, err := p.get()
	if err != nil {
		return "", "", "", err
	}
	defer p.free.Put(c)
	return c.render(brand, data, time.Now().Add(maxRenderTime))
}

// compiled is a template parsed with the layout and blocks. Its functions share budget with
// the writer of the part being executed, so it executes one part at a time.
type compiled struct {
	locale  string
	words   map[string]string // read-only once built
	budget  budget
	subject *texttemplate.Template
	html    *htmltemplate.Template
	text    *texttemplate.Template
}

// compile parses a template with the layout and blocks. whole adds the check that no action
// prints a whole object (see showFunc): Validate compiles with it, so every saved template has
// passed it, and rendering for sending goes without its cost (a function call per action).
func compile(tmpl Template, whole bool) (*compiled, error) {
	c := &compiled{locale: NormalizeLocale(tmpl.Locale)}
	if c.locale == "" {
		c.locale = "en"
	}
	c.words = catalog(c.locale)
	fm := funcs(c.locale, &c.budget)
	var err error
	if c.subject, err = texttemplate.New("subject").Option("missingkey=error").Funcs(fm).Parse(tmpl.Subject); err != nil {
		return nil, partError("subject", err)
	}
	if err := prepare(textTrees(c.subject), whole); err != nil {
		return nil, partError("subject", err)
	}
	if c.html, err = parseHTML(tmpl.HTML, fm); err != nil {
		return nil, partError("html", err)
	}
	if err := calledTemplatesExist(c.html.Lookup("html").Tree, func(name string) bool { return c.html.Lookup(name) != nil }); err != nil {
		return nil, partError("html", err)
	}
	trees := map[string]*parse.Tree{}
	for _, t := range c.html.Templates() {
		if t.Tree != nil && t.Tree.Root != nil { // the root of a set may hold no template
			trees[t.Name()] = t.Tree
		}
	}
	if err := prepare(trees, whole); err != nil {
		return nil, partError("html", err)
	}
	if c.text, err = parseText(tmpl.Text, fm); err != nil {
		return nil, partError("text", err)
	}
	if err := prepare(textTrees(c.text), whole); err != nil {
		return nil, partError("text", err)
	}
	return c, nil
}

// textTrees returns the parse trees of a text template and those it defines, by name.
func textTrees(t *texttemplate.Template) map[string]*parse.Tree {
	trees := map[string]*parse.Tree{}
	for _, t := range t.Templates() {
		if t.Tree != nil && t.Tree.Root != nil { // the root of a set may hold no template
			trees[t.Name()] = t.Tree
		}
	}
	return trees
}

func (c *compiled) view(brand Brand, data Data) *view {
	brand = brand.WithDefaults(brand.Name, brand.SenderAddress)
	return &view{Data: data, Brand: brand, Locale: c.locale, L: c.words}
}

// execute runs one part into a writer of at most max bytes, with a fresh budget of steps.
func (c *compiled) execute(part string, max int, deadline time.Time, discard bool, run func(io.Writer) error) (string, error) {
	c.budget = newBudget(deadline)
	w := &limitWriter{b: &c.budget, max: max, discard: discard}
	if err := run(w); err != nil {
		return "", partError(part, err)
	}
	return w.buf.String(), nil
}

// checkBody executes the HTML body on its own, so that a body leaving a tag or attribute open
// is reported as its own error rather than as a puzzling one in the layout that follows it.
func (c *compiled) checkBody(brand Brand, data Data, deadline time.Time) error {
	v := c.view(brand, data)
	_, err := c.execute("html", maxHTMLOut, deadline, true, func(w io.Writer) error { return c.html.ExecuteTemplate(w, "html", v) })
	return err
}

func (c *compiled) render(brand Brand, data Data, deadline time.Time) (subject, html, text string, err error) {
	v := c.view(brand, data)
	if subject, err = c.execute("subject", maxSubjectOut, deadline, false, func(w io.Writer) error { return c.subject.Execute(w, v) }); err != nil {
		return "", "", "", err
	}
	subject = strings.Join(strings.Fields(subject), " ")
	if subject == "" {
		return "", "", "", epilogue.Invalid("subject", "renders empty")
	}
	v.Subject = subject
	if html, err = c.execute("html", maxHTMLOut, deadline, false, func(w io.Writer) error { return c.html.ExecuteTemplate(w, "layout.html", v) }); err != nil {
		return "", "", "", err
	}
	if text, err = c.execute("text", maxTextOut, deadline, false, func(w io.Writer) error { return c.text.ExecuteTemplate(w, "layout.txt", v) }); err != nil {
		return "", "", "", err
	}
	// Data is checked where it enters, but a NUL that got in anyway (a customer stored before
	// the checks) would make the message unstorable on PostgreSQL, and stall every message
	// planned with it: it goes here, where nothing can show it anyway.
	nul := strings.NewReplacer("\x00", "")
	return nul.Replace(subject), nul.Replace(html), nul.Replace(tidyText(text)), nil
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
	if tree == nil {
		return nil
	}
	return walk(tree.Root, func(n parse.Node) error {
		if t, ok := n.(*parse.TemplateNode); ok && !exists(t.Name) {
			loc, _ := tree.ErrorContext(t)
			return fmt.Errorf("template: %s: no such template %q", loc, t.Name)
		}
		return nil
	})
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

// funcs are the functions templates may call, bound to the locale; seq and the printing
// functions charge b, the budget of the part being executed.
func funcs(locale string, b *budget) map[string]any {
	fm := map[string]any{
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
			return "", errors.New("want a time")
		},
		"status": func(s string) string { return statusName(locale, s) },
		showFunc: show,
		"textOn": textOn,
		// withQuery adds key=value to a URL's query, escaped: {{.Links.Survey | withQuery "score" 9}}.
		"withQuery": func(key string, value any, raw string) (string, error) {
			n, _, err := printedSize([]any{key, value, raw}, 3) // escaping grows at most threefold
			if err != nil {
				return "", err
			}
			u, err := url.Parse(raw)
			if err != nil {
				return "", errors.New("not a URL")
			}
			return b.make(n, func() string {
				q := u.Query()
				q.Set(key, fmt.Sprint(value))
				u.RawQuery = q.Encode()
				return u.String()
			})
		},
		// seq gives the numbers from..to, for a row of score links; a few, because a loop
		// inside a loop multiplies them.
		"seq": func(from, to int) ([]int, error) {
			if to < from {
				return nil, nil
			}
			// Unsigned, so that seq -9223372036854775808 9223372036854775807 does not overflow.
			if uint64(to)-uint64(from) >= maxSeq {
				return nil, fmt.Errorf("gives at most %d numbers", maxSeq)
			}
			if err := b.step(to - from + 1); err != nil {
				return nil, err
			}
			out := make([]int, to-from+1)
			for i := range out {
				out[i] = from + i // counted, not compared with to, which may be the largest int
			}
			return out, nil
		},
		"mul": func(a epilogue.Amount, n int) epilogue.Amount { return a * epilogue.Amount(n) },
		// head and more split a long order's items into those listed and how many are not:
		// an email listing a thousand items would pass the output limit and never go.
		"head": func(n int, items []Item) []Item { return items[:min(max(n, 0), len(items))] },
		"more": func(n int, items []Item) int { return max(len(items)-max(n, 0), 0) },
	}
	for name, f := range printFuncs(b) {
		fm[name] = f
	}
	return fm
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
