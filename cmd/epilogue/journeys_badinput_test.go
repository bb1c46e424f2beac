package main

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Hostile and careless input to the journey configuration API (journeys, templates, messaging,
// brand): each is refused naming the field, and leaves nothing behind.

const sendJourney = `{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"send","template":"shipped"}]}`

func TestJourneyConfigBadInput(t *testing.T) {
	e := startEnv(t, "")
	sk := e.a.sk

	// A name or a ledger reason with control characters is refused, not stored.
	e.call("POST", "/v1/journeys", sk, strings.Replace(sendJourney, `"x"`, `"x\u0000y"`, 1)).mustError(t, 400, "invalid_request", "name")
	e.call("POST", "/v1/journeys", sk, `{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"points","points":5,"reason":"a\u001bb"}]}`).
		mustError(t, 400, "invalid_request", "steps[0].reason")
	if r := e.call("GET", "/v1/journeys", sk, nil).must(t, 200); strings.Contains(string(r.raw), `"x\u0000y"`) {
		t.Fatalf("refused journey stored: %s", r.raw)
	}

	// A PATCH that names another id is refused, not quietly ignored.
	e.call("PATCH", "/v1/journeys/jrn_nps", sk, `{"id":"jrn_other"}`).mustError(t, 400, "invalid_request", "id")
	e.call("PATCH", "/v1/journeys/jrn_nps", sk, `{"id":"jrn_nps","name":"NPS"}`).must(t, 200) // a GET sent back is fine
	e.call("GET", "/v1/journeys/jrn_other", sk, nil).mustError(t, 404, "not_found", "")

	// Journeys have no kind to filter by: a filter that would do nothing is refused.
	e.call("GET", "/v1/journeys?kind=upsell", sk, nil).mustError(t, 400, "invalid_request", "kind")

	// A bad locale is named as sent, not as the "" it normalizes to.
	r := e.call("PUT", "/v1/templates/mine", sk, `{"locale":"xx_YY!!","subject":"Hi","html":"<p>x</p>","text":"x"}`)
	r.mustError(t, 400, "invalid_request", "locale")
	if !strings.Contains(r.str("error", "message"), `"xx_YY!!"`) {
		t.Fatalf("the error should show the locale sent: %s", r.raw)
	}

	// A template part with control characters is refused (line breaks and tabs are fine).
	e.call("PUT", "/v1/templates/mine", sk, `{"subject":"Hi\u0007","html":"<p>x</p>","text":"x"}`).mustError(t, 400, "invalid_request", "subject")
	e.call("PUT", "/v1/templates/mine", sk, `{"subject":"Hi","html":"<p>x</p>","text":"a\u0000b"}`).mustError(t, 400, "invalid_request", "text")
	e.call("PUT", "/v1/templates/mine", sk, `{"subject":"Hi\n{{.Order.ID}}","html":"<p>\tx</p>","text":"a\r\nb"}`).must(t, 200)

	// A bidi override in the brand's name (shown as the sender of every email) is refused and
	// changes nothing; right-to-left text with its marks is a name like any other.
	e.call("PATCH", "/v1/brand", sk, `{"name":"Bean \u202Eelbuod"}`).mustError(t, 400, "invalid_request", "name")
	e.call("PATCH", "/v1/brand", sk, `{"sender_name":"\u2067Support\u2069"}`).mustError(t, 400, "invalid_request", "sender_name")
	if r := e.call("GET", "/v1/brand", sk, nil).must(t, 200); strings.Contains(string(r.raw), "elbuod") || strings.Contains(string(r.raw), "Support") {
		t.Fatalf("a refused brand was stored: %s", r.raw)
	}
	e.call("PATCH", "/v1/brand", sk, `{"name":"\u05e7\u05e4\u05d4 \u200fBeans"}`).must(t, 200)

	// Another shop's journeys and templates are not there for this one.
	e.call("PUT", "/v1/templates/b_only", e.b.sk, `{"subject":"Hi","html":"<p>x</p>","text":"x"}`).must(t, 200)
	j := e.call("POST", "/v1/journeys", e.b.sk, strings.Replace(sendJourney, `"shipped"`, `"b_only"`, 1)).must(t, 201)
	id := j.str("id")
	e.call("GET", "/v1/journeys/"+id, sk, nil).mustError(t, 404, "not_found", "")
	e.call("PATCH", "/v1/journeys/"+id, sk, `{"status":"paused"}`).mustError(t, 404, "not_found", "")
	e.call("POST", "/v1/templates/b_only/preview", sk, nil).mustError(t, 404, "not_found", "")
	e.call("POST", "/v1/journeys", sk, strings.Replace(sendJourney, `"shipped"`, `"b_only"`, 1)).
		mustError(t, 400, "invalid_request", "steps[0].template")
	if r := e.call("GET", "/v1/journeys/"+id, e.b.sk, nil).must(t, 200); r.str("status") != "active" {
		t.Fatalf("shop a changed shop b's journey: %s", r.raw)
	}
}

// Steps given in a PATCH replace the old ones whole: a new step does not inherit what the old
// step at its index set.
func TestPatchJourneyStepsReplaceWhole(t *testing.T) {
	e := startEnv(t, "")
	old := e.call("GET", "/v1/journeys/jrn_review_request", e.a.sk, nil).must(t, 200)
	if old.str("steps", "0", "expires_after") == "" {
		t.Fatalf("the default review request should expire: %s", old.raw)
	}
	r := e.call("PATCH", "/v1/journeys/jrn_review_request", e.a.sk,
		`{"steps":[{"id":"review","type":"send","template":"shipped"}]}`).must(t, 200)
	if got := r.get("steps", "0", "expires_after"); got != nil {
		t.Fatalf("the new step kept the old step's expires_after %v: %s", got, r.raw)
	}
	if r := e.call("GET", "/v1/journeys/jrn_review_request", e.a.sk, nil).must(t, 200); r.get("steps", "0", "expires_after") != nil {
		t.Fatalf("stored: %s", r.raw)
	}
	// Leaving steps out keeps them; a null is refused.
	r = e.call("PATCH", "/v1/journeys/jrn_review_request", e.a.sk, `{"name":"Reviews"}`).must(t, 200)
	if r.str("steps", "0", "template") != "shipped" {
		t.Fatalf("steps left out were changed: %s", r.raw)
	}
	e.call("PATCH", "/v1/journeys/jrn_review_request", e.a.sk, `{"steps":null}`).mustError(t, 400, "invalid_request", "steps")
}

// Changes that race each one land: none is overwritten by another that read the journey
// before it was written (every answer has its own version, and the last is the count).
func TestConcurrentJourneyPatchesAllLand(t *testing.T) {
	e := startEnv(t, "")
	const n = 16
	versions := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := `{"name":"Delivered ` + string(rune('a'+i)) + `"}`
			req, _ := http.NewRequest("PATCH", e.base+"/v1/journeys/jrn_delivered", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.a.sk)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				versions <- "error: " + err.Error()
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 {
				versions <- "status " + res.Status + ": " + string(b)
				return
			}
			s := string(b)
			v := s[strings.Index(s, `"version":`):]
			versions <- v[:strings.IndexByte(v, ',')]
		})
	}
	wg.Wait()
	close(versions)
	seen := map[string]bool{}
	for v := range versions {
		if !strings.HasPrefix(v, `"version":`) || seen[v] {
			t.Fatalf("two changes answered %s: one overwrote the other", v)
		}
		seen[v] = true
	}
	if r := e.call("GET", "/v1/journeys/jrn_delivered", e.a.sk, nil).must(t, 200); r.get("version") != float64(n+1) {
		t.Fatalf("version %v after %d changes: %s", r.get("version"), n, r.raw)
	}
}

// Settings changed at once, each a different field, all land: none writes back settings it
// read before another was stored.
func TestConcurrentSettingsPatchesAllLand(t *testing.T) {
	e := startEnv(t, "")
	bodies := []string{`{"holdout_share":0.2}`, `{"dismissal_period":"48h"}`, `{"currency":"EUR"}`,
		`{"timezone":"Europe/Paris"}`, `{"allowed_origins":["https://shop.example"]}`}
	var wg sync.WaitGroup
	for _, body := range bodies {
		wg.Go(func() { e.call("PATCH", "/v1/settings", e.a.sk, body).must(t, 200) })
	}
	wg.Wait()
	r := e.call("GET", "/v1/settings", e.a.sk, nil).must(t, 200)
	if r.get("holdout_share") != 0.2 || r.str("dismissal_period") != "48h0m0s" ||
		r.str("currency") != "EUR" || r.str("timezone") != "Europe/Paris" || r.str("allowed_origins", "0") != "https://shop.example" {
		t.Fatalf("a change was lost: %s", r.raw)
	}
}
