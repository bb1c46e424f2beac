package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue/notify/smtptest"
)

// TestJourneyFromOrderToReview walks one order through the default journeys with a real SMTP
// conversation: confirmation, shipped (once, however many scans), out for delivery, delivered,
// the review request a week later (with a working review link), the NPS survey a week after
// that, and the order's timeline explaining each message.
func TestJourneyFromOrderToReview(t *testing.T) {
	e := startJourneys(t, smtptest.Options{})
	js := e.call("GET", "/v1/journeys", e.a.sk, nil).must(t, 200)
	if n := len(js.get("data").([]any)); n != 8 {
		t.Fatalf("%d default journeys, want 8: %s", n, js.raw)
	}
	e.call("PATCH", "/v1/brand", e.a.sk, `{"name":"Brew & Co","sender_address":"orders@brew.example","primary_color":"#6B3E26"}`).must(t, 200)
	e.call("PATCH", "/v1/messaging", e.a.sk, `{"loyalty":{"points_per_unit":1,"review":50}}`).must(t, 200)

	e.order("1001", "c1", "ana@example.com", "en")
	e.run()
	m := e.wantMails(1)
	if !strings.Contains(m.subject(), "1001") || m.header.Get("From") != `"Brew & Co" <orders@brew.example>` || m.to[0] != "ana@example.com" {
		t.Fatalf("confirmation: %q from %q to %v", m.subject(), m.header.Get("From"), m.to)
	}
	if !strings.Contains(m.header.Get("List-Unsubscribe"), "/u/") || m.header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" ||
		!strings.HasSuffix(m.header.Get("Message-Id"), "@brew.example>") {
		t.Fatalf("headers: %v", m.header)
	}
	if !strings.Contains(m.text, "34") || !strings.Contains(m.html, "#6b3e26") {
		t.Fatalf("confirmation body lacks the order or the brand:\n%s", m.text)
	}
	// The order earned a point per dollar, shown in the ledger.
	if bal := e.call("GET", "/v1/customers/c1/loyalty", e.a.sk, nil).must(t, 200).get("balance"); bal != 34.0 {
		t.Fatalf("balance after the order: %v", bal)
	}

	e.scan("S1", "1001", "in_transit")
	e.run()
	if m := e.wantMails(2); !strings.Contains(m.subject(), "on its way") || !strings.Contains(m.text, "1ZS1") {
		t.Fatalf("shipped: %q\n%s", m.subject(), m.text)
	}
	e.scan("S1", "1001", "in_transit") // the same scan again is not news
	e.later(time.Hour)
	e.scan("S1", "1001", "out_for_delivery")
	e.later(time.Hour)
	e.scan("S1", "1001", "delivered")
	e.run()
	e.wantMails(4)

	// The review request waits a week, and the timeline says so.
	if kinds, _ := e.timeline("1001"); !slices.Contains(kinds, "journey:waiting") {
		t.Fatalf("no waiting journey on the timeline: %v", kinds)
	}
	// Six days later: nothing yet. Seven: the review request, then a review through its link.
	e.later(6 * 24 * time.Hour)
	e.wantMails(4)
	e.later(24 * time.Hour)
	m = e.wantMails(5)
	if !strings.Contains(m.subject(), "liking") {
		t.Fatalf("review request: %q", m.subject())
	}
	review := m.link(t, "/r/")
	page := e.follow("GET", review, "")
	if page.status != 200 || !strings.Contains(string(page.raw), `name="rating"`) || !strings.Contains(string(page.raw), "Brew &amp; Co") {
		t.Fatalf("review page: %d %s", page.status, page.raw)
	}
	if r := e.follow("POST", review, "rating=9"); r.status != 400 || !strings.Contains(string(r.raw), "between 1 and 5") {
		t.Fatalf("a rating of 9: %d %s", r.status, r.raw)
	}
	if r := e.follow("POST", review, "rating=5&comment=Lovely+beans"); r.status != 200 || !strings.Contains(string(r.raw), "Thank you") {
		t.Fatalf("review: %d %s", r.status, r.raw)
	}
	if r := e.follow("POST", review, "rating=1"); r.status != 200 || !strings.Contains(string(r.raw), "already") {
		t.Fatalf("a second review: %d %s", r.status, r.raw)
	}
	forged := strings.Replace(review, "/r/", "/r/x", 1)
	if r := e.follow("GET", forged, ""); r.status != 404 {
		t.Fatalf("forged review link: %d", r.status)
	}
	loyalty := e.call("GET", "/v1/customers/c1/loyalty", e.a.sk, nil).must(t, 200)
	if loyalty.get("balance") != 84.0 || loyalty.str("history", "0", "reason") != "review" {
		t.Fatalf("loyalty after the review: %s", loyalty.raw)
	}

	// A week later the NPS survey, whose score links preselect the answer without sending it.
	e.later(7 * 24 * time.Hour)
	m = e.wantMails(6)
	survey, _, _ := strings.Cut(m.link(t, "/s/"), "?") // the email links each score
	if r := e.follow("GET", survey+"?score=9", ""); r.status != 200 || !strings.Contains(string(r.raw), `value="9" checked`) {
		t.Fatalf("survey page: %d %s", r.status, r.raw)
	}
	if r := e.follow("POST", survey, url.Values{"score": {"9"}, "comment": {"Fast"}}.Encode()); r.status != 200 {
		t.Fatalf("survey: %d %s", r.status, r.raw)
	}

	kinds, entries := e.timeline("1001")
	for _, want := range []string{"activity:order_placed", "journey:enrolled", "message:queued", "message:sent",
		"activity:shipment_status", "activity:review_submitted", "activity:survey_answered", "journey:completed"} {
		if !slices.Contains(kinds, want) {
			t.Fatalf("timeline lacks %s: %v", want, kinds)
		}
	}
	sent := 0
	for _, x := range entries {
		if x["type"] == "message" && x["kind"] == "sent" {
			sent++
			if why, _ := x["why"].(string); !strings.Contains(why, "started by") {
				t.Fatalf("a sent message without why: %v", x)
			}
		}
	}
	if sent != 6 {
		t.Fatalf("%d sent messages on the timeline, want 6: %v", sent, kinds)
	}
	for i := 1; i < len(entries); i++ {
		if entries[i]["time"].(string) < entries[i-1]["time"].(string) {
			t.Fatalf("timeline out of order at %d: %v", i, entries)
		}
	}
	e.call("GET", "/v1/orders/nope/timeline", e.a.sk, nil).mustError(t, 404, "not_found", "")
	e.call("GET", "/v1/orders/1001/timeline", e.b.sk, nil).mustError(t, 404, "not_found", "")
}

// TestJourneyAttentionQuietHoursAndExpiry: marketing shares one budget per customer (one a
// day by default): a second message waits for the next allowed time instead of being dropped,
// or expires when its step says so; quiet hours hold marketing until morning in the customer's
// time; the on-page half of the budget sees the messages.
func TestJourneyAttentionQuietHoursAndExpiry(t *testing.T) {
	e := startJourneys(t, smtptest.Options{})
	e.call("POST", "/v1/journeys", e.a.sk, `{"name":"Care tips","trigger":{"event":"order_placed","if":"order.id != \"2004\""},
		"steps":[{"type":"send","template":"replenishment","transactional":false}]}`).must(t, 201)
	e.call("POST", "/v1/journeys", e.a.sk, `{"name":"Flash sale","trigger":{"event":"order_placed","if":"order.id == \"2004\""},
		"steps":[{"type":"send","template":"replenishment","transactional":false,"expires_after":"1h"}]}`).must(t, 201)
	careTips := func() int {
		n := 0
		for _, m := range e.mails() {
			if strings.HasPrefix(m.subject(), "Running low?") {
				n++
			}
		}
		return n
	}
	e.order("2001", "c1", "ana@example.com", "en")
	e.order("2002", "c1", "ana@example.com", "en")
	e.run()
	e.wantMails(3) // two confirmations, one care tips: the second waits
	if n := careTips(); n != 1 {
		t.Fatalf("%d marketing messages on day one, want 1", n)
	}
	shop := e.a.id
	if e.app.attention.Allows(shop, "id:c1", e.clock.Now()) {
		t.Fatal("the on-page budget does not see the marketing email")
	}
	if !e.app.attention.Allows(shop, "id:c2", e.clock.Now()) {
		t.Fatal("another customer's budget is spent")
	}
	kinds, entries := e.timeline("2002")
	if !slices.Contains(kinds, "message:deferred") {
		t.Fatalf("no deferral on the timeline: %v", kinds)
	}
	for _, x := range entries {
		if x["kind"] == "deferred" && !strings.Contains(x["reason"].(string), "attention budget") {
			t.Fatalf("deferred for %v", x["reason"])
		}
	}
	e.later(24 * time.Hour)
	if n := careTips(); n != 2 {
		t.Fatalf("%d marketing messages after a day, want 2", n)
	}

	// Over budget with an hour to live: expired, and said so.
	e.order("2004", "c1", "ana@example.com", "en")
	e.run()
	kinds, _ = e.timeline("2004")
	if !slices.Contains(kinds, "message:expired") {
		t.Fatalf("no expiry on the timeline: %v", kinds)
	}

	// 22:00 in the customer's time zone is quiet: the message waits until 08:00.
	e.call("PUT", "/v1/customers/c2", e.a.sk, `{"timezone":"Europe/Paris"}`).must(t, 200)
	e.clock.Set(time.Date(2026, 3, 17, 21, 30, 0, 0, time.UTC)) // 22:30 in Paris
	before := len(e.mails())
	e.order("2003", "c2", "bob@example.com", "en")
	e.run()
	if got := len(e.mails()); got != before+1 { // the confirmation only
		t.Fatalf("%d new emails at night, want 1 (the confirmation)", got-before)
	}
	_, entries = e.timeline("2003")
	var reason string
	for _, x := range entries {
		if x["kind"] == "deferred" {
			reason = x["reason"].(string)
		}
	}
	if !strings.Contains(reason, "quiet hours 21:00–08:00") {
		t.Fatalf("night deferral reason %q", reason)
	}
	e.later(9*time.Hour + 29*time.Minute) // 07:59 in Paris
	if got := len(e.mails()); got != before+1 {
		t.Fatal("sent before the end of quiet hours")
	}
	e.later(time.Minute)
	if got := len(e.mails()); got != before+2 {
		t.Fatalf("not sent at 08:00: %d", got-before)
	}
}

// A journey that has run its course but left its message waiting (a review request held by
// quiet hours) is still ended by its exit event: a refund before morning stops the message.
func TestJourneyExitStopsAWaitingMessage(t *testing.T) {
	e := startJourneys(t, smtptest.Options{})
	e.call("POST", "/v1/journeys", e.a.sk, `{"name":"Review at once","trigger":{"event":"order_placed"},
		"steps":[{"id":"rv","type":"review_request"}],"exit":["order_refunded"]}`).must(t, 201)
	e.clock.Set(time.Date(2026, 3, 17, 23, 0, 0, 0, time.UTC))
	e.call("PUT", "/v1/customers/c4", e.a.sk, `{"timezone":"Europe/Paris"}`).must(t, 200) // midnight in Paris: quiet
	e.order("3101", "c4", "di@example.com", "en")
	e.run()
	before := len(e.mails()) // the confirmation
	kinds, _ := e.timeline("3101")
	if !slices.Contains(kinds, "message:deferred") {
		t.Fatalf("the review request is not waiting: %v", kinds)
	}
	e.call("POST", "/v1/orders/3101/refunds", e.a.sk, `{"id":"rf1","amount":"34.00","currency":"USD"}`).must(t, 201)
	e.run()
	e.later(12 * time.Hour)
	if got := len(e.mails()); got != before {
		t.Fatalf("%d messages after the refund, want none", got-before)
	}
	_, entries := e.timeline("3101")
	var last string
	for _, x := range entries {
		if x["template"] == "review_request" {
			last, _ = x["kind"].(string)
			if r, ok := x["reason"].(string); ok {
				last += ": " + r
			}
		}
	}
	if last != "skipped: journey ended: exit: order_refunded" {
		t.Fatalf("the review request ended as %q", last)
	}
}

// TestJourneyExitsAndUnsubscribe: a refund ends the review request and the survey; the
// one-click unsubscribe of an order update stops marketing (and offers) but never order
// updates.
func TestJourneyExitsAndUnsubscribe(t *testing.T) {
	e := startJourneys(t, smtptest.Options{})
	e.order("3001", "c3", "cy@example.com", "en")
	e.scan("S31", "3001", "delivered")
	e.run()
	m := e.wantMails(2)
	e.call("POST", "/v1/orders/3001/refunds", e.a.sk, `{"id":"rf1","amount":"34.00","currency":"USD"}`).must(t, 201)
	e.later(15 * 24 * time.Hour)
	e.wantMails(2)
	kinds, entries := e.timeline("3001")
	exits := 0
	for _, x := range entries {
		if x["kind"] == "exited" && x["reason"] == "exit: order_refunded" {
			exits++
		}
	}
	if exits != 2 {
		t.Fatalf("%d journeys ended by the refund, want 2 (review, survey): %v", exits, kinds)
	}

	// One-click unsubscribe from the delivery email (RFC 8058).
	unsub := m.header.Get("List-Unsubscribe")
	unsub = strings.Trim(strings.Split(unsub, ",")[0], "<> ")
	if r := e.follow("GET", unsub, ""); r.status != 200 || !strings.Contains(string(r.raw), "still hear about orders") {
		t.Fatalf("unsubscribe page: %d %s", r.status, r.raw)
	}
	if r := e.follow("POST", unsub, "List-Unsubscribe=One-Click"); r.status != 200 {
		t.Fatalf("one-click unsubscribe: %d %s", r.status, r.raw)
	}
	if c := e.call("GET", "/v1/customers/c3", e.a.sk, nil).must(t, 200); c.get("consent", "email") != false {
		t.Fatalf("consent after unsubscribing: %s", c.raw)
	}
	e.order("3002", "c3", "cy@example.com", "en")
	e.scan("S32", "3002", "delivered")
	e.run()
	e.wantMails(4) // the order updates still go
	e.later(8 * 24 * time.Hour)
	e.wantMails(4) // the review request does not
	_, entries = e.timeline("3002")
	var skipped string
	for _, x := range entries {
		if x["template"] == "review_request" {
			skipped = x["kind"].(string) + ": " + x["reason"].(string)
		}
	}
	if skipped != "skipped: no consent to marketing email" {
		t.Fatalf("review request after unsubscribing: %q", skipped)
	}
	if r := e.follow("POST", strings.Replace(unsub, "/u/", "/u/A", 1), ""); r.status != 404 {
		t.Fatalf("forged unsubscribe: %d", r.status)
	}
}

// TestJourneyBadInput: journeys and templates that cannot work are refused when saved, naming
// the field at fault.
func TestJourneyBadInput(t *testing.T) {
	e := startJourneys(t, smtptest.Options{})
	send := `{"type":"send","template":"shipped"}`
	for _, c := range []struct{ body, field string }{
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"teleport"}]}`, "steps[0].type"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"wait","duration":"7 days"}]}`, "steps[0].duration"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"wait","duration":"-1h"}]}`, "steps[0].duration"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"wait"}]}`, "steps[0].duration"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"condition","if":"order.total >= \"a\""}]}`, "steps[0].if"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"condition","if":"order.totl > 1"}]}`, "steps[0].if"},
		{`{"name":"x","trigger":{"event":"order_placed","if":"customer.locale = 'fr'"},"steps":[` + send + `]}`, "trigger.if"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"id":"a","type":"wait","duration":"1h","next":"b"},{"id":"b","type":"condition","if":"true","then":"a"}]}`, "steps[0]"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"send","template":"nope"}]}`, "steps[0].template"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"send","template":"shipped","duration":"1h"}]}`, "steps[0].duration"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"send","template":"shipped","next":"ghost"}]}`, "steps[0].next"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"send","template":"shipped","channel":"pigeon"}]}`, "steps[0].channel"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"webhook","url":"ftp://x"}]}`, "steps[0].url"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[` + send + `],"exit":["order_exploded"]}`, "exit[0]"},
		{`{"name":"x","trigger":{"event":"parcel_lost"},"steps":[` + send + `]}`, "trigger.event"},
		{`{"name":"x","trigger":{"event":"shipment_status","statuses":["teleported"]},"steps":[` + send + `]}`, "trigger.statuses[0]"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[]}`, "steps"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[` + strings.Repeat(send+",", 60) + send + `]}`, "steps"},
		{`{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"send","template":"shipped","tempalte":"x"}]}`, "steps[0].tempalte"},
		{`{"name":"","trigger":{"event":"order_placed"},"steps":[` + send + `]}`, "name"},
		{`{"id":"jrn_mine","name":"x","trigger":{"event":"order_placed"},"steps":[` + send + `]}`, "id"},
	} {
		r := e.call("POST", "/v1/journeys", e.a.sk, c.body)
		if r.status != 400 || r.str("error", "code") != "invalid_request" || r.str("error", "field") != c.field {
			t.Errorf("%s\n  got %d %s, want field %s", c.body, r.status, r.raw, c.field)
		}
	}
	big := `{"name":"x","trigger":{"event":"order_placed"},"steps":[{"type":"condition","if":"` + strings.Repeat(`customer.locale == \"fr\" or `, 40) + `true"}]}`
	e.call("POST", "/v1/journeys", e.a.sk, big).mustError(t, 400, "invalid_request", "steps[0].if")

	// A good one, then a PATCH that would break it: refused, the stored one unchanged.
	j := e.call("POST", "/v1/journeys", e.a.sk, `{"name":"Thanks","trigger":{"event":"review_submitted"},
		"steps":[{"type":"wait","until":"send_window"},{"type":"points","points":10},{"type":"send","template":"loyalty_points","channel":"auto"}]}`).must(t, 201)
	id := j.str("id")
	if !strings.HasPrefix(id, "jrn_") || j.str("status") != "active" || j.str("steps", "0", "id") != "step1" || j.get("version") != 1.0 {
		t.Fatalf("created: %s", j.raw)
	}
	e.call("PATCH", "/v1/journeys/"+id, e.a.sk, `{"steps":[{"type":"wait","duration":"soon"}]}`).mustError(t, 400, "invalid_request", "steps[0].duration")
	p := e.call("PATCH", "/v1/journeys/"+id, e.a.sk, `{"status":"paused"}`).must(t, 200)
	if p.str("status") != "paused" || p.get("version") != 2.0 || len(p.get("steps").([]any)) != 3 {
		t.Fatalf("patched: %s", p.raw)
	}
	e.call("GET", "/v1/journeys/"+id, e.b.sk, nil).mustError(t, 404, "not_found", "")
	e.call("GET", "/v1/journeys?status=paused", e.a.sk, nil).must(t, 200)

	// Templates: one that does not render is refused at save time, naming the part and line.
	e.call("PUT", "/v1/templates/care_tips", e.a.sk, `{"locale":"en","subject":"Tips for {{.Customer.FirstName}}",
		"html":"<p>Hello</p>\n<p>{{.Order.Nope}}</p>","text":"Hello"}`).mustError(t, 400, "invalid_request", "html")
	e.call("PUT", "/v1/templates/care_tips", e.a.sk, `{"locale":"en","subject":"Tips {{","html":"<p>x</p>","text":"x"}`).mustError(t, 400, "invalid_request", "subject")
	e.call("PUT", "/v1/templates/care_tips", e.a.sk, `{"locale":"xx_yy_zz","subject":"Tips","html":"<p>x</p>","text":"x"}`).mustError(t, 400, "invalid_request", "locale")
	e.call("PUT", "/v1/templates/Care-Tips", e.a.sk, `{"locale":"en","subject":"Tips","html":"<p>x</p>","text":"x"}`).mustError(t, 400, "invalid_request", "id")
	e.call("PUT", "/v1/templates/care_tips", e.a.sk, `{"locale":"fr","subject":"Conseils pour {{or .Customer.FirstName \"vous\"}}",
		"html":"<p>Détartrez votre machine.</p>","text":"Détartrez votre machine."}`).must(t, 200)
	list := e.call("GET", "/v1/templates", e.a.sk, nil).must(t, 200)
	found := false
	for _, x := range list.get("data").([]any) {
		m := x.(map[string]any)
		found = found || m["id"] == "care_tips" && m["source"] == "custom" && m["locale"] == "fr"
	}
	if !found || len(list.get("data").([]any)) != 37 {
		t.Fatalf("templates: %d, custom found %v", len(list.get("data").([]any)), found)
	}
	pv := e.call("POST", "/v1/templates/care_tips/preview", e.a.sk, `{"locale":"fr-CA","data":{"customer":{"first_name":"Zoé"},"links":{}}}`).must(t, 200)
	if pv.str("subject") != "Conseils pour Zoé" || !strings.Contains(pv.str("html"), "Détartrez") {
		t.Fatalf("preview: %s", pv.raw)
	}
	pv = e.call("POST", "/v1/templates/shipped/preview", e.a.sk, nil).must(t, 200)
	if !strings.Contains(pv.str("text"), "UPS") { // sample data
		t.Fatalf("sample preview: %s", pv.raw)
	}
	e.call("POST", "/v1/templates/nothing_here/preview", e.a.sk, nil).mustError(t, 404, "not_found", "")
	// The custom template may now be used by a journey.
	e.call("POST", "/v1/journeys", e.a.sk, `{"name":"Care","trigger":{"event":"delivered","delay":"3d"},"steps":[{"type":"send","template":"care_tips"}]}`).must(t, 201)

	// Brand and messaging settings refuse bad values the same way.
	e.call("PATCH", "/v1/brand", e.a.sk, `{"primary_color":"blue"}`).mustError(t, 400, "invalid_request", "primary_color")
	e.call("PATCH", "/v1/brand", e.a.sk, `{"sender_address":"Shop <a@b.c>"}`).mustError(t, 400, "invalid_request", "sender_address")
	b := e.call("GET", "/v1/brand", e.a.sk, nil).must(t, 200)
	if b.str("effective", "name") != "Shop" || b.str("effective", "sender_address") != defaultFromAddress {
		t.Fatalf("default brand: %s", b.raw)
	}
	e.call("PATCH", "/v1/messaging", e.a.sk, `{"quiet_hours":{"start":"25:00","end":"08:00"}}`).mustError(t, 400, "invalid_request", "quiet_hours.start")
	e.call("PATCH", "/v1/messaging", e.a.sk, `{"attention_budget":{"per_day":5,"per_week":2}}`).mustError(t, 400, "invalid_request", "attention_budget.per_week")
	if v := e.call("GET", "/v1/messaging", e.a.sk, nil).must(t, 200); !strings.HasPrefix(v.str("webhook_signing_secret"), "whsec_") {
		t.Fatalf("messaging: %s", v.raw)
	}
}

// TestJourneyRelayFailures: a relay that is down or answers 4xx leads to retries with backoff
// and, in the end, a visible failure; a 5xx "user unknown" fails at once and suppresses the
// address, so later messages to it are not even tried. Nothing is lost: a relay that comes
// back gets the message.
func TestJourneyRelayFailures(t *testing.T) {
	e := startJourneys(t, smtptest.Options{Rcpt: func(to string) error {
		switch to {
		case "busy@example.com":
			return smtptest.Reply(451, "4.3.0", "try again later")
		case "gone@example.com":
			return smtptest.Reply(550, "5.1.1", "user unknown")
		}
		return nil
	}})
	e.order("4001", "c41", "busy@example.com", "en")
	e.order("4002", "c42", "gone@example.com", "en")
	e.run()
	for range 12 {
		e.later(3 * time.Hour)
	}
	_, entries := e.timeline("4001")
	retries, failed := 0, ""
	for _, x := range entries {
		if x["template"] != "order_confirmation" {
			continue // a delay apology may join in once the order counts as stalled
		}
		switch x["kind"] {
		case "retry":
			retries++
		case "failed":
			failed = x["reason"].(string)
		}
	}
	if retries != 9 || !strings.Contains(failed, "gave up after 10 attempts") || !strings.Contains(failed, "451") {
		t.Fatalf("busy relay: %d retries, failure %q", retries, failed)
	}
	_, entries = e.timeline("4002")
	if i := slices.IndexFunc(entries, func(x map[string]any) bool { return x["kind"] == "failed" }); i < 0 ||
		!strings.Contains(entries[i]["reason"].(string), "550") || entries[i]["attempt"] != 1.0 {
		t.Fatalf("unknown user: %v", entries)
	}
	sup := e.call("GET", "/v1/suppressions", e.a.sk, nil).must(t, 200)
	if n := len(sup.get("data").([]any)); n != 1 || sup.str("data", "0", "scope") != "all" {
		t.Fatalf("suppressions: %s", sup.raw)
	}
	// The relay's error named the address; what is kept (and outlives an erasure) does not.
	reasons := sup.str("data", "0", "reason")
	for _, x := range entries {
		if r, ok := x["reason"].(string); ok {
			reasons += "\n" + r
		}
	}
	if !strings.Contains(reasons, "550") || strings.Contains(strings.ToLower(reasons), "gone@example.com") {
		t.Fatalf("the reasons kept: %s", reasons)
	}
	e.order("4003", "c42", "gone@example.com", "en")
	e.run()
	kinds, _ := e.timeline("4003")
	if !slices.Contains(kinds, "message:suppressed") {
		t.Fatalf("a message to a bounced address: %v", kinds)
	}
	if n := e.smtp.Count(); n != 0 {
		t.Fatalf("the relay accepted %d messages", n)
	}

	// The relay goes down; the message waits and goes when it is back, once.
	addr := e.smtp.Addr
	e.smtp.Close()
	e.order("4004", "c44", "dee@example.com", "en")
	e.run()
	back, err := smtptest.Start(smtptest.Options{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	e.smtp = back
	e.later(2 * time.Minute)
	m := e.wantMails(1)
	if m.to[0] != "dee@example.com" {
		t.Fatalf("after the relay came back: %v", m.to)
	}
	kinds, _ = e.timeline("4004")
	if !slices.Contains(kinds, "message:retry") || !slices.Contains(kinds, "message:sent") {
		t.Fatalf("relay outage on the timeline: %v", kinds)
	}
	e.call("POST", "/v1/suppressions", e.a.sk, `{"channel":"email","address":"spam-trap@example.com","reason":"complaint"}`).must(t, 201)
	e.call("POST", "/v1/suppressions", e.a.sk, `{"channel":"email","address":"x","reason":"complaint"}`).mustError(t, 400, "invalid_request", "address")
	for _, a := range []string{"Bob <bob@example.com>", "mailto:dave@example.com", "a@example.com, b@example.com"} { // would never match
		e.call("POST", "/v1/suppressions", e.a.sk, `{"channel":"email","address":"`+a+`","reason":"complaint"}`).mustError(t, 400, "invalid_request", "address")
	}
	e.call("POST", "/v1/suppressions", e.a.sk, `{"channel":"email","address":"  CAROL@Example.COM ","reason":"complaint"}`).must(t, 201)
	e.call("POST", "/v1/suppressions", e.a.sk, `{"channel":"email","address":"a@b.c","reason":"dislike"}`).mustError(t, 400, "invalid_request", "reason")
}

// A journey paused while its message waits (here for quiet hours) sends nothing more, and the
// timeline says why.
func TestPausedJourneySendsNoWaitingMessage(t *testing.T) {
	e := startJourneys(t, smtptest.Options{})
	j := e.call("POST", "/v1/journeys", e.a.sk, `{"name":"Care tips","trigger":{"event":"order_placed"},
		"steps":[{"type":"send","template":"replenishment","transactional":false}]}`).must(t, 201)
	e.call("PUT", "/v1/customers/c2", e.a.sk, `{"timezone":"Europe/Paris"}`).must(t, 200)
	e.clock.Set(time.Date(2026, 3, 17, 21, 30, 0, 0, time.UTC)) // 22:30 in Paris: quiet
	e.order("3001", "c2", "bob@example.com", "en")
	e.run()
	before := len(e.mails()) // the confirmation
	e.call("PATCH", "/v1/journeys/"+j.str("id"), e.a.sk, `{"status":"paused"}`).must(t, 200)
	e.later(12 * time.Hour)
	if got := len(e.mails()); got != before {
		t.Fatalf("%d emails after the journey was paused", got-before)
	}
	_, entries := e.timeline("3001")
	skipped := false
	for _, x := range entries {
		skipped = skipped || (x["kind"] == "skipped" && x["reason"] == "journey paused")
	}
	if !skipped {
		t.Fatalf("no skip for the paused journey on the timeline: %v", entries)
	}
}
