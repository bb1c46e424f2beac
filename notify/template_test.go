package notify_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

var preview = flag.String("preview", "", "write every built-in template, rendered with sample data, to this directory")

func TestBuiltinsRenderInEveryLocale(t *testing.T) {
	builtins := notify.Builtins()
	if want := len(notify.TemplateIDs()) * len(notify.Locales()); len(builtins) != want {
		t.Fatalf("%d built-in templates, want %d", len(builtins), want)
	}
	for _, tmpl := range builtins {
		t.Run(tmpl.ID+"/"+tmpl.Locale, func(t *testing.T) {
			if err := notify.Validate(tmpl); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			data := notify.SampleData()
			subject, html, text, err := notify.Render(tmpl, notify.SampleBrand(), data)
			if err != nil {
				t.Fatal(err)
			}
			if subject == "" || strings.ContainsAny(subject, "\r\n{}") {
				t.Errorf("subject = %q", subject)
			}
			for _, want := range []string{
				`<html lang="` + tmpl.Locale + `">`, "max-width:600px", "Brew &amp; Co",
				"12 Roastery Lane", `href="https://epilogue.example/u/tok_sample"`, "#6b3e26",
			} {
				if !strings.Contains(html, want) {
					t.Errorf("html lacks %q", want)
				}
			}
			for _, want := range []string{"Brew & Co", "https://epilogue.example/u/tok_sample", "Ada"} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			if strings.Contains(html+text, "<no value>") || strings.Contains(html, "ZgotmplZ") {
				t.Error("a template printed a missing value or a filtered one")
			}
			if *preview != "" {
				dir := filepath.Join(*preview, tmpl.Locale)
				os.MkdirAll(dir, 0o755)
				os.WriteFile(filepath.Join(dir, tmpl.ID+".html"), []byte(html), 0o644)
				os.WriteFile(filepath.Join(dir, tmpl.ID+".txt"), []byte("Subject: "+subject+"\n\n"+text), 0o644)
			}
		})
	}
}

func TestBuiltinsRenderWithLittleData(t *testing.T) {
	// A shop with no brand and a message with no order, shipment or offers still renders.
	brand := notify.DefaultBrand("Corner Shop", "no-reply@epilogue.example")
	for _, tmpl := range notify.Builtins() {
		_, html, _, err := notify.Render(tmpl, brand, notify.Data{Links: notify.Links{Unsubscribe: "https://e.example/u/1"}})
		if err != nil {
			t.Errorf("%s/%s: %v", tmpl.ID, tmpl.Locale, err)
			continue
		}
		if !strings.Contains(html, "Corner Shop") || !strings.Contains(html, notify.DefaultPrimaryColor) {
			t.Errorf("%s/%s: default brand missing", tmpl.ID, tmpl.Locale)
		}
	}
}

// The largest order the API takes (1,000 items with long titles) still renders in every built-in
// that lists items: the first fifty, then how many more.
func TestBuiltinsRenderTheLargestOrder(t *testing.T) {
	d := notify.SampleData()
	d.Order.Items = nil
	for i := range 1000 {
		d.Order.Items = append(d.Order.Items, notify.Item{Title: fmt.Sprintf("Replacement part %04d ", i) + strings.Repeat("x", 180),
			Quantity: 1, Price: epilogue.Micro, ImageURL: "https://cdn.shop.example/img/part.jpg"})
	}
	for _, tmpl := range notify.Builtins() {
		_, html, text, err := notify.Render(tmpl, notify.SampleBrand(), d)
		if err != nil {
			t.Errorf("%s/%s: %v", tmpl.ID, tmpl.Locale, err)
			continue
		}
		if tmpl.ID == notify.TemplateOrderConfirmation && (!strings.Contains(html, "+950 ") || !strings.Contains(text, "+950 ") ||
			!strings.Contains(text, "part 0049") || strings.Contains(text, "part 0050")) {
			t.Errorf("%s/%s: the items are not cut at fifty: %s", tmpl.ID, tmpl.Locale, text)
		}
	}
}

func TestBuiltinLocaleFallback(t *testing.T) {
	for locale, want := range map[string]string{"fr-CA": "fr", "fr_ca": "fr", "de-AT": "de", "es-419": "es", "pt-BR": "en", "": "en", "garbage!": "en"} {
		tmpl, ok := notify.Builtin(notify.TemplateShipped, locale)
		if !ok || tmpl.Locale != want {
			t.Errorf("Builtin(shipped, %q) = %q, %v; want %q", locale, tmpl.Locale, ok, want)
		}
	}
	if _, ok := notify.Builtin("no_such_template", "en"); ok {
		t.Error("found a template that does not exist")
	}
	shop := []notify.Template{
		{ID: "shipped", Locale: "fr-CA", Subject: "a"},
		{ID: "shipped", Locale: "fr", Subject: "b"},
		{ID: "shipped", Locale: "en", Subject: "c"},
	}
	for locale, want := range map[string]string{"fr-CA": "a", "fr-FR": "b", "fr": "b", "de": "c"} {
		if got, _ := notify.Lookup(shop, "shipped", locale); got.Subject != want {
			t.Errorf("Lookup(%q) = %q, want %q", locale, got.Subject, want)
		}
	}
}

func TestRenderEscapes(t *testing.T) {
	tmpl, _ := notify.Builtin(notify.TemplateShipped, "en")
	data := notify.SampleData()
	data.Customer.FirstName = `<script>alert("x")</script>`
	data.Links.Tracking = `javascript:alert(1)`
	data.Offers[0].URL = `https://epilogue.example/c/off 1?x="y"&z=<w>`
	data.Offers[0].Title = `Tea & "Biscuits" <b>`
	brand := notify.SampleBrand()
	brand.Name = `Brew <i>Co</i>`
	subject, html, text, err := notify.Render(tmpl, brand, data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Error("customer name not escaped in the HTML part")
	}
	if strings.Contains(html, "<i>Co</i>") || strings.Contains(html, "<b>") {
		t.Error("brand or offer markup not escaped")
	}
	if strings.Contains(html, `href="javascript:`) {
		t.Error("javascript: URL let through")
	}
	if !strings.Contains(html, `href="https://epilogue.example/c/off%201?x=%22y%22&amp;z=%3cw%3e"`) {
		t.Errorf("offer URL not URL-escaped:\n%s", grep(html, "off%201"))
	}
	// The text part is plain text: nothing to escape, nothing escaped.
	if !strings.Contains(text, `Hi <script>alert("x")</script>,`) {
		t.Errorf("text part altered the name:\n%s", text)
	}
	if strings.ContainsAny(subject, "\r\n") {
		t.Errorf("subject = %q", subject)
	}
}

func grep(s, substr string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return "(no line with " + substr + ")"
}

func TestRenderNPSLinksCarryScores(t *testing.T) {
	tmpl, _ := notify.Builtin(notify.TemplateNPSSurvey, "de")
	_, html, text, err := notify.Render(tmpl, notify.SampleBrand(), notify.SampleData())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"https://shop.example/nps/1001?score=0&amp;sig=abc", "https://shop.example/nps/1001?score=10&amp;sig=abc"} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %s", want)
		}
	}
	if !strings.Contains(text, "10: https://shop.example/nps/1001?score=10&sig=abc") {
		t.Errorf("text lacks the score links:\n%s", text)
	}
}

func TestRenderFormatsForTheLocale(t *testing.T) {
	data := notify.SampleData()
	data.Order.Currency = "EUR"
	data.Order.Total = 1_234_500_000
	for locale, want := range map[string][]string{
		"en": {"€1,234.50", "Thursday, March 19"},
		"fr": {"1\u202f234,50\u00a0€", "jeudi 19 mars"},
		"de": {"1.234,50\u00a0€", "Donnerstag, 19. März"},
		"es": {"1.234,50\u00a0€", "jueves, 19 de marzo"},
	} {
		conf, _ := notify.Builtin(notify.TemplateOrderConfirmation, locale)
		_, _, text, err := notify.Render(conf, notify.SampleBrand(), data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, want[0]) {
			t.Errorf("%s: total not formatted as %q:\n%s", locale, want[0], text)
		}
		shipped, _ := notify.Builtin(notify.TemplateShipped, locale)
		_, _, text, err = notify.Render(shipped, notify.SampleBrand(), data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, want[1]) {
			t.Errorf("%s: delivery date not formatted as %q:\n%s", locale, want[1], text)
		}
	}
}

func TestValidateNamesPartAndLine(t *testing.T) {
	good, _ := notify.Builtin(notify.TemplateShipped, "en")
	for _, tc := range []struct {
		name      string
		edit      func(*notify.Template)
		field, in string
	}{
		{"syntax in html", func(t *notify.Template) { t.HTML = "<p>Hi</p>\n<p>{{.Customer.FirstName</p>" }, "html", "line 2"},
		{"unknown field in text", func(t *notify.Template) { t.Text = "Hello\n\n{{.Customer.Nickname}}" }, "text", "line 3"},
		{"unknown field in subject", func(t *notify.Template) { t.Subject = "Order {{.Order.Number}}" }, "subject", "line 1"},
		{"unknown function", func(t *notify.Template) { t.HTML = "{{shout .Brand.Name}}" }, "html", "line 1"},
		{"unknown template", func(t *notify.Template) { t.HTML = "x\n{{template \"footer\" .}}" }, "html", "line 2"},
		{"unknown phrase", func(t *notify.Template) { t.Text = "{{.L.no_such_phrase}}" }, "text", "line 1"},
		{"error in a branch", func(t *notify.Template) {
			t.HTML = "{{if eq .Shipment.Status \"exception\"}}\n{{.Shipment.Reason}}{{end}}"
		}, "html", "line 2"},
		// Data a message may lack: an order confirmation has no shipment, most messages no
		// points, many orders one item.
		{"unguarded shipment", func(t *notify.Template) { t.Subject = "Order {{.Order.ID}} via {{.Shipment.Carrier}}" }, "subject", "guard it"},
		{"unguarded points", func(t *notify.Template) { t.HTML = "<p>\n{{.Loyalty.Points}} points</p>" }, "html", "line 2"},
		{"second item", func(t *notify.Template) { t.Text = "{{(index .Order.Items 1).Title}}" }, "text", "line 1"},
		{"unclosed attribute", func(t *notify.Template) { t.HTML = "<p>\n<a href=\"{{.Links.Shop}}" }, "html", "left open"},
		{"empty subject", func(t *notify.Template) { t.Subject = "  " }, "subject", "required"},
		{"bad locale", func(t *notify.Template) { t.Locale = "french" }, "locale", ""},
		{"bad id", func(t *notify.Template) { t.ID = "Shipped!" }, "id", ""},
	} {
		tmpl := good
		tc.edit(&tmpl)
		err := notify.Validate(tmpl)
		var e *epilogue.Error
		if !asError(err, &e) || e.Code != epilogue.EInvalid || e.Field != tc.field || !strings.Contains(e.Message, tc.in) {
			t.Errorf("%s: Validate = %v, want invalid %s mentioning %q", tc.name, err, tc.field, tc.in)
		}
	}
	if err := notify.Validate(good); err != nil {
		t.Errorf("valid template: %v", err)
	}
}

func TestBrandValidate(t *testing.T) {
	good := notify.SampleBrand()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for field, edit := range map[string]func(*notify.Brand){
		"name":           func(b *notify.Brand) { b.Name = " " },
		"primary_color":  func(b *notify.Brand) { b.PrimaryColor = "red" },
		"accent_color":   func(b *notify.Brand) { b.AccentColor = "#12345g" },
		"logo_url":       func(b *notify.Brand) { b.LogoURL = "javascript:alert(1)" },
		"sender_address": func(b *notify.Brand) { b.SenderAddress = "Shop <a@b.c>" },
		"reply_to":       func(b *notify.Brand) { b.ReplyTo = "nope" },
	} {
		b := notify.SampleBrand()
		edit(&b)
		if err := b.Validate(); epilogue.ErrorCode(err) != epilogue.EInvalid || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate = %v", field, err)
		}
	}
	b := notify.SampleBrand()
	b.PrimaryColor = "#AABBCC"
	if err := b.Validate(); err != nil || b.PrimaryColor != "#aabbcc" {
		t.Errorf("upper-case colour: %v, %q", err, b.PrimaryColor)
	}
}

func TestButtonTextReadableOnLightBrand(t *testing.T) {
	tmpl, _ := notify.Builtin(notify.TemplateReviewRequest, "en")
	for color, text := range map[string]string{"#ffeb3b": "color:#111111", "#1a237e": "color:#ffffff"} {
		brand := notify.SampleBrand()
		brand.PrimaryColor = color
		_, html, _, err := notify.Render(tmpl, brand, notify.SampleData())
		if err != nil {
			t.Fatal(err)
		}
		if line := grep(html, "Write a review"); !strings.Contains(line, text) {
			t.Errorf("button on %s: %s, want %s", color, line, text)
		}
	}
}

func TestRendererMatchesRenderAndSeesEdits(t *testing.T) {
	r := notify.NewRenderer(2)
	tmpl, _ := notify.Builtin(notify.TemplateDelivered, "es")
	brand, data := notify.SampleBrand(), notify.SampleData()
	want1, want2, want3, err := notify.Render(tmpl, brand, data)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			s, h, x, err := r.Render(tmpl, brand, data)
			if err != nil || s != want1 || h != want2 || x != want3 {
				t.Errorf("cached render differs (%v)", err)
			}
		})
	}
	wg.Wait()
	edited := tmpl
	edited.Subject = "¡Entregado, {{.Customer.FirstName}}!"
	if s, _, _, _ := r.Render(edited, brand, data); s != "¡Entregado, Ada!" {
		t.Errorf("edited template rendered the old subject %q", s)
	}
	for _, id := range notify.TemplateIDs() { // more templates than the cache holds
		tm, _ := notify.Builtin(id, "en")
		if _, _, _, err := r.Render(tm, brand, data); err != nil {
			t.Fatal(err)
		}
	}
}
