package store_test

import (
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/notify"
	"github.com/epiloguehq/epilogue/store"
)

func newJourney(shop, id string) *journey.Journey {
	j := &journey.Journey{ID: id, ShopID: shop, Name: "Shipped " + id, Trigger: journey.Trigger{Event: "delivered"},
		Steps: []journey.Step{{Type: journey.StepSend, Template: "delivered"}}, Version: 1, CreatedAt: t0, UpdatedAt: t0}
	j.Defaults()
	return j
}

func TestJourneysCRUD(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		for _, id := range ids("jrn_", 3) {
			must(t, db.CreateJourney(ctx, newJourney("a", id)))
		}
		code(t, "duplicate", db.CreateJourney(ctx, newJourney("a", "jrn_000")), epilogue.EConflict)
		must(t, db.CreateJourney(ctx, newJourney("b", "jrn_000"))) // ids are per shop

		j, err := db.Journey(ctx, "a", "jrn_001")
		must(t, err)
		equal(t, "journey", j, newJourney("a", "jrn_001"))
		j.Status, j.Version, j.UpdatedAt = journey.StatusPaused, 2, t0.Add(time.Hour)
		j.Steps[0].Template = "shipped"
		updated, err := db.UpdateJourney(ctx, "a", "jrn_001", func(cur *journey.Journey) error {
			cur.Status, cur.UpdatedAt, cur.Steps[0].Template = journey.StatusPaused, t0.Add(time.Hour), "shipped"
			return nil
		})
		must(t, err)
		equal(t, "answered journey", updated, j)
		got, err := db.Journey(ctx, "a", "jrn_001")
		must(t, err)
		equal(t, "updated journey", got, j)
		_, err = db.UpdateJourney(ctx, "b", "jrn_001", func(*journey.Journey) error { return nil })
		code(t, "other shop", err, epilogue.ENotFound)
		// A change whose journey another writer stored anew meanwhile would undo that one: it is
		// not written over it, but made again to the new version.
		calls := 0
		_, err = db.UpdateJourney(ctx, "a", "jrn_001", func(cur *journey.Journey) error {
			if calls++; calls == 1 {
				_, err := db.UpdateJourney(ctx, "a", "jrn_001", func(cur *journey.Journey) error { cur.Name = "Renamed"; return nil })
				must(t, err)
			}
			cur.UpdatedAt = t0.Add(2 * time.Hour)
			return nil
		})
		must(t, err)
		if got, _ := db.Journey(ctx, "a", "jrn_001"); calls != 2 || got.Name != "Renamed" || !got.UpdatedAt.Equal(t0.Add(2*time.Hour)) || got.Version != 4 {
			t.Fatalf("after a concurrent change (%d calls): %q %s version %d", calls, got.Name, got.UpdatedAt, got.Version)
		}
		// A failed change writes nothing.
		_, err = db.UpdateJourney(ctx, "a", "jrn_001", func(cur *journey.Journey) error {
			cur.Name = "Broken"
			return epilogue.Invalid("name", "no")
		})
		code(t, "failed change", err, epilogue.EInvalid)
		if got, _ := db.Journey(ctx, "a", "jrn_001"); got.Name != "Renamed" {
			t.Fatalf("a failed change was written: %q", got.Name)
		}
		_, err = db.Journey(ctx, "b", "jrn_002")
		code(t, "missing", err, epilogue.ENotFound)

		page, next, err := db.Journeys(ctx, "a", epilogue.ListFilter{Limit: 2})
		must(t, err)
		if len(page) != 2 || next == "" || page[0].ID != "jrn_000" {
			t.Fatalf("first page: %d journeys, cursor %q", len(page), next)
		}
		rest, next, err := db.Journeys(ctx, "a", epilogue.ListFilter{Limit: 2, Cursor: next})
		must(t, err)
		if len(rest) != 1 || next != "" || rest[0].ID != "jrn_002" {
			t.Fatalf("second page: %+v %q", rest, next)
		}
		paused, _, err := db.Journeys(ctx, "a", epilogue.ListFilter{Status: journey.StatusPaused})
		must(t, err)
		if len(paused) != 1 || paused[0].ID != "jrn_001" {
			t.Fatalf("paused: %+v", paused)
		}
		all, err := db.ShopJourneys(ctx, "b")
		must(t, err)
		if len(all) != 1 {
			t.Fatalf("shop b journeys: %d", len(all))
		}
	})
}

func TestInstallDefaultsOnce(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		_, found, err := db.MessagingSettings(ctx, "a")
		must(t, err)
		if found {
			t.Fatal("settings before install")
		}
		must(t, db.InstallDefaults(ctx, "a", journey.DefaultSettings(), journey.DefaultJourneys(), t0))
		js, err := db.ShopJourneys(ctx, "a")
		must(t, err)
		if len(js) != len(journey.DefaultJourneys()) {
			t.Fatalf("%d default journeys installed", len(js))
		}
		// The shop archives one and changes its settings; installing again changes nothing.
		_, err = db.UpdateJourney(ctx, "a", js[0].ID, func(j *journey.Journey) error { j.Status = journey.StatusArchived; return nil })
		must(t, err)
		_, err = db.UpdateMessagingSettings(ctx, "a", func(s *journey.Settings) error { s.SMS = true; return nil }, t0)
		must(t, err)
		must(t, db.InstallDefaults(ctx, "a", journey.DefaultSettings(), journey.DefaultJourneys(), t0))
		again, err := db.Journey(ctx, "a", js[0].ID)
		must(t, err)
		got, found, err := db.MessagingSettings(ctx, "a")
		must(t, err)
		if again.Status != journey.StatusArchived || !found || !got.SMS {
			t.Fatalf("a second install undid the shop's changes: %s %+v", again.Status, got)
		}
	})
}

func TestBrandAndTemplates(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		_, found, err := db.Brand(ctx, "a")
		must(t, err)
		if found {
			t.Fatal("brand before any was saved")
		}
		b := notify.SampleBrand()
		stored, err := db.UpdateBrand(ctx, "a", func(nb *notify.Brand) error { *nb = b; return nil }, t0)
		must(t, err)
		equal(t, "first brand", stored, b)
		b.Name = "Renamed"
		_, err = db.UpdateBrand(ctx, "a", func(nb *notify.Brand) error { nb.Name = "Renamed"; return nil }, t0)
		must(t, err)
		got, found, err := db.Brand(ctx, "a")
		must(t, err)
		if !found {
			t.Fatal("brand not found")
		}
		equal(t, "brand", got, b)
		if _, found, _ := db.Brand(ctx, "b"); found {
			t.Fatal("shop b sees shop a's brand")
		}

		tm, _ := notify.Builtin("shipped", "fr")
		must(t, db.SaveTemplate(ctx, "a", tm, t0))
		tm.Subject = "Expédiée !"
		must(t, db.SaveTemplate(ctx, "a", tm, t0))
		en, _ := notify.Builtin("shipped", "en")
		must(t, db.SaveTemplate(ctx, "a", en, t0))
		ts, err := db.Templates(ctx, "a")
		must(t, err)
		equal(t, "templates", ts, []notify.Template{en, tm})
		other, err := db.Templates(ctx, "b")
		must(t, err)
		if len(other) != 0 {
			t.Fatalf("shop b has templates: %v", other)
		}
	})
}

// enrollRun is a new enrollment with one message and some points, as the scheduler makes.
func enrollRun(shop, id, order string, wake time.Time) *journey.Run {
	en := &journey.Enrollment{ID: id, ShopID: shop, JourneyID: "jrn_x", Subject: "order:" + order, OrderID: order,
		CustomerID: "c1", Status: journey.EnrollActive, Step: "send", WakeAt: wake, CreatedAt: t0, UpdatedAt: t0}
	m := &journey.Message{Message: epilogue.Message{ID: "msg_" + id, ShopID: shop, IdempotencyKey: id + "/send",
		Channel: epilogue.ChannelEmail, To: "ana@example.com", Subject: "Hello", HTML: "<p>hi</p>", Text: "hi",
		OrderID: order, CustomerID: "c1", Status: journey.MsgQueued, NextAttemptAt: t0, CreatedAt: t0},
		JourneyID: "jrn_x", EnrollmentID: id, StepID: "send", Template: "shipped", Why: "test"}
	return &journey.Run{Enrollment: en, Messages: []*journey.Message{m},
		Points: []*journey.LoyaltyEntry{{ID: id + "/points", ShopID: shop, CustomerID: "c1", Points: 10, Reason: "purchase", OrderID: order, Time: t0}}}
}

// A change to the messaging settings or the brand made while another was being made (as
// another replica does) is kept: the later change is applied again over it. A change that
// fails writes nothing, and settings of a shop not set up are not found.
func TestMessagingDocumentsKeepConcurrentChanges(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		_, err := db.UpdateMessagingSettings(ctx, "a", func(*journey.Settings) error { return nil }, t0)
		code(t, "settings before install", err, epilogue.ENotFound)
		must(t, db.InstallDefaults(ctx, "a", journey.DefaultSettings(), nil, t0))

		calls := 0
		got, err := db.UpdateMessagingSettings(ctx, "a", func(s *journey.Settings) error {
			if calls++; calls == 1 {
				_, err := db.UpdateMessagingSettings(ctx, "a", func(s *journey.Settings) error { s.SMS = true; return nil }, t0)
				must(t, err)
			}
			s.QuietHours.Start = "21:30"
			return nil
		}, t0)
		must(t, err)
		stored, _, err := db.MessagingSettings(ctx, "a")
		must(t, err)
		if calls != 2 || !got.SMS || !stored.SMS || stored.QuietHours.Start != "21:30" {
			t.Fatalf("after %d calls: answered %+v, stored %+v", calls, got, stored)
		}
		_, err = db.UpdateMessagingSettings(ctx, "a", func(s *journey.Settings) error {
			s.SMS = false
			return epilogue.Invalid("sms", "no")
		}, t0)
		code(t, "failed change", err, epilogue.EInvalid)
		if s, _, _ := db.MessagingSettings(ctx, "a"); !s.SMS {
			t.Fatal("a failed change was written")
		}

		// The first brand too: two replicas storing a shop's first brand at once.
		calls = 0
		b, err := db.UpdateBrand(ctx, "a", func(b *notify.Brand) error {
			if calls++; calls == 1 {
				_, err := db.UpdateBrand(ctx, "a", func(b *notify.Brand) error { b.Name = "Other replica"; return nil }, t0)
				must(t, err)
			}
			b.AccentColor = "#112233"
			return nil
		}, t0)
		must(t, err)
		sb, _, err := db.Brand(ctx, "a")
		must(t, err)
		if calls != 2 || b.Name != "Other replica" || sb.Name != "Other replica" || sb.AccentColor != "#112233" {
			t.Fatalf("after %d calls: answered %+v, stored %+v", calls, b, sb)
		}
	})
}

func TestCommitBatch(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		from, err := db.Cursor(ctx, "journeys")
		must(t, err)
		b := &journey.Batch{Cursor: &journey.CursorMove{Name: "journeys", From: from, To: 5}, Now: t0,
			Enroll: []*journey.Run{enrollRun("a", "enr_1", "1001", t0), enrollRun("a", "enr_2", "1002", t0.Add(time.Hour))}}
		must(t, db.CommitBatch(ctx, b))
		// A replica that read the same activities loses the race and commits nothing.
		late := &journey.Batch{Cursor: &journey.CursorMove{Name: "journeys", From: from, To: 5}, Now: t0,
			Enroll: []*journey.Run{enrollRun("a", "enr_3", "1003", t0)}}
		code(t, "cursor moved", db.CommitBatch(ctx, late), epilogue.EConflict)
		if n, _ := db.Cursor(ctx, "journeys"); n != 5 {
			t.Fatalf("cursor %d, want 5", n)
		}
		// A repeated enrollment changes nothing, its effects included.
		dup := enrollRun("a", "enr_1", "1001", t0)
		dup.Messages[0].Subject, dup.Points[0].Points = "Changed", 99
		must(t, db.CommitBatch(ctx, &journey.Batch{Now: t0, Enroll: []*journey.Run{dup}}))
		if bal, _ := db.LoyaltyBalance(ctx, "a", "c1"); bal != 20 {
			t.Fatalf("balance %d, want 20 (two enrollments of 10, the repeat ignored)", bal)
		}
		msgs, evs, err := db.OrderMessages(ctx, "a", "1001")
		must(t, err)
		if len(msgs) != 1 || msgs[0].Subject != "Hello" || len(evs) != 0 || msgs[0].Why != "test" || msgs[0].To != "ana@example.com" {
			t.Fatalf("order messages: %+v %+v", msgs, evs)
		}

		// Claims: the due enrollment only, once, until its lease runs out.
		got, err := db.ClaimEnrollments(ctx, t0.Add(time.Minute), "r1", time.Minute, 10)
		must(t, err)
		if len(got) != 1 || got[0].ID != "enr_1" || got[0].Step != "send" || got[0].OrderID != "1001" {
			t.Fatalf("claimed %+v", got)
		}
		if again, _ := db.ClaimEnrollments(ctx, t0.Add(time.Minute), "r2", time.Minute, 10); len(again) != 0 {
			t.Fatalf("claimed twice: %+v", again)
		}
		// r2 takes it over once r1's lease is out; r1's late commit is then ignored.
		over, err := db.ClaimEnrollments(ctx, t0.Add(3*time.Minute), "r2", time.Minute, 10)
		must(t, err)
		if len(over) != 1 {
			t.Fatalf("after the lease: %+v", over)
		}
		stale := &journey.Run{Enrollment: got[0]}
		stale.Enrollment.Status = journey.EnrollCompleted
		must(t, db.CommitBatch(ctx, &journey.Batch{Now: t0, Owner: "r1", Advance: []*journey.Run{stale}}))
		fresh := &journey.Run{Enrollment: over[0]}
		fresh.Enrollment.Waiting, fresh.Enrollment.WaitEvent, fresh.Enrollment.Step = true, "shipment_status:delivered", "wait"
		fresh.Enrollment.WakeAt = t0.Add(24 * time.Hour)
		must(t, db.CommitBatch(ctx, &journey.Batch{Now: t0, Owner: "r2", Advance: []*journey.Run{fresh}}))
		active, err := db.OpenEnrollments(ctx, "a", "1001")
		must(t, err)
		if len(active) != 1 || !active[0].Waiting || active[0].WaitEvent != "shipment_status:delivered" || active[0].Step != "wait" {
			t.Fatalf("after the takeover: %+v", active)
		}

		// The awaited event wakes it; an exit event ends the other and skips its message.
		must(t, db.CommitBatch(ctx, &journey.Batch{Now: t0, Wakes: []journey.Wake{{ShopID: "a", EnrollmentID: "enr_1", At: t0.Add(2 * time.Hour)}},
			Exits: []journey.Exit{{ShopID: "a", EnrollmentID: "enr_2", Reason: "exit: order_refunded"}}}))
		woken, err := db.ClaimEnrollments(ctx, t0.Add(3*time.Hour), "r3", time.Minute, 10)
		must(t, err)
		if len(woken) != 1 || woken[0].ID != "enr_1" || woken[0].WaitEvent != "" || !woken[0].WakeAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("woken: %+v", woken)
		}
		ens, err := db.OrderEnrollments(ctx, "a", "1002")
		must(t, err)
		if len(ens) != 1 || ens[0].Status != journey.EnrollExited || ens[0].Reason != "exit: order_refunded" {
			t.Fatalf("exited: %+v", ens)
		}
		msgs, evs, err = db.OrderMessages(ctx, "a", "1002")
		must(t, err)
		if msgs[0].Status != journey.MsgSkipped || len(evs) != 1 || evs[0].Status != journey.MsgSkipped {
			t.Fatalf("the exited enrollment's message: %+v %+v", msgs[0], evs)
		}
	})
}

func TestOutbox(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		var runs []*journey.Run
		for i, id := range ids("enr_", 5) {
			r := enrollRun("a", id, "o"+id, t0)
			r.Messages[0].NextAttemptAt = t0.Add(time.Duration(i) * time.Minute)
			r.Messages[0].Transactional = i%2 == 0
			runs = append(runs, r)
		}
		must(t, db.CommitBatch(ctx, &journey.Batch{Now: t0, Enroll: runs}))
		// Two senders share the due messages without overlap.
		now := t0.Add(10 * time.Minute)
		first, err := db.ClaimMessages(ctx, now, "s1", time.Minute, 3)
		must(t, err)
		second, err := db.ClaimMessages(ctx, now, "s2", time.Minute, 10)
		must(t, err)
		if len(first) != 3 || len(second) != 2 {
			t.Fatalf("claims: %d and %d", len(first), len(second))
		}
		seen := map[string]bool{}
		for _, m := range append(first, second...) {
			if seen[m.ID] || m.HTML != "<p>hi</p>" || m.Text != "hi" || m.To != "ana@example.com" || m.Template != "shipped" {
				t.Fatalf("claimed message: %+v", m)
			}
			seen[m.ID] = true
		}
		sent := now.Add(time.Second)
		var outs []journey.Outcome
		for i, m := range first {
			m.Attempts = 1
			switch i {
			case 0:
				m.Status, m.SentAt, m.Charged = journey.MsgSent, &sent, true
			case 1:
				m.Status, m.Reason, m.NextAttemptAt = journey.MsgQueued, "421 try later", now.Add(time.Hour)
			case 2:
				m.Status, m.Reason = journey.MsgFailed, "550 user unknown"
			}
			o := journey.Outcome{Message: m, Event: &journey.MessageEvent{ShopID: "a", MessageID: m.ID, OrderID: m.OrderID,
				Status: m.Status, Reason: m.Reason, Attempt: 1, Time: sent}}
			if i == 2 {
				o.Suppress = &journey.Suppression{ShopID: "a", Channel: "email", AddressHash: journey.AddressHash(m.To),
					Scope: journey.ScopeAll, Reason: "hard bounce", CreatedAt: sent}
			}
			outs = append(outs, o)
		}
		must(t, db.FinishMessages(ctx, "s1", now, outs))
		// An outcome from a sender that lost the lease is ignored.
		second[0].Status = journey.MsgSent
		must(t, db.FinishMessages(ctx, "s1", now, []journey.Outcome{{Message: second[0]}}))
		msgs, evs, err := db.OrderMessages(ctx, "a", second[0].OrderID)
		must(t, err)
		if msgs[0].Status != journey.MsgQueued || len(evs) != 0 {
			t.Fatalf("a stranger finished the message: %+v", msgs[0])
		}
		msgs, evs, err = db.OrderMessages(ctx, "a", first[0].OrderID)
		must(t, err)
		if msgs[0].Status != journey.MsgSent || msgs[0].SentAt == nil || !msgs[0].Charged || len(evs) != 1 || evs[0].Attempt != 1 {
			t.Fatalf("sent message: %+v %+v", msgs[0], evs)
		}
		// The retried one is due again at its time, and not before; s2's two come back once
		// its lease is out.
		if again, _ := db.ClaimMessages(ctx, now.Add(30*time.Minute), "s3", time.Hour, 10); len(again) != 2 {
			t.Fatalf("claimed early or a finished one: %d", len(again))
		}
		retry, err := db.ClaimMessages(ctx, now.Add(2*time.Hour), "s3", time.Hour, 10)
		must(t, err)
		if len(retry) != 3 { // the retry, and s2's two whose lease ran out
			t.Fatalf("due later: %d", len(retry))
		}
		sup, err := db.Suppression(ctx, "a", "email", journey.AddressHash("ANA@example.com "))
		must(t, err)
		if sup == nil || sup.Scope != journey.ScopeAll {
			t.Fatalf("suppression: %+v", sup)
		}
		// An unsubscribe does not narrow a bounce; a bounce widens an unsubscribe.
		must(t, db.AddSuppression(ctx, &journey.Suppression{ShopID: "a", Channel: "email", AddressHash: sup.AddressHash, Scope: journey.ScopeMarketing, Reason: "unsubscribed", CreatedAt: now}))
		must(t, db.AddSuppression(ctx, &journey.Suppression{ShopID: "a", Channel: "email", AddressHash: "h2", Scope: journey.ScopeMarketing, Reason: "unsubscribed", CreatedAt: now}))
		must(t, db.AddSuppression(ctx, &journey.Suppression{ShopID: "a", Channel: "email", AddressHash: "h2", Scope: journey.ScopeAll, Reason: "complaint", CreatedAt: now}))
		list, next, err := db.Suppressions(ctx, "a", epilogue.ListFilter{})
		must(t, err)
		if len(list) != 2 || next != "" || list[0].Scope != journey.ScopeAll || list[1].Scope != journey.ScopeAll || list[1].Reason != "complaint" {
			t.Fatalf("suppressions: %+v", list)
		}
		if none, _ := db.Suppression(ctx, "a", "sms", sup.AddressHash); none != nil {
			t.Fatalf("suppressed on another channel: %+v", none)
		}

		// The attention budget is seeded from marketing sent lately (the sent one was
		// transactional, so nothing yet) and partner offers viewed.
		marks, err := db.AttentionMarks(ctx, t0)
		must(t, err)
		if len(marks) != 0 {
			t.Fatalf("marks from transactional mail: %+v", marks)
		}
		claimed, _ := db.ClaimMessages(ctx, now.Add(5*time.Hour), "s4", time.Hour, 10)
		for _, c := range claimed {
			if c.ID == "msg_enr_003" { // a marketing message
				c.Status, c.SentAt, c.Attempts = journey.MsgSent, &sent, 1
				must(t, db.FinishMessages(ctx, "s4", now, []journey.Outcome{{Message: c}}))
			}
		}
		marks, err = db.AttentionMarks(ctx, t0)
		must(t, err)
		if len(marks) != 2 || marks[0].CustomerKey != "id:c1" || marks[1].CustomerKey != "em:"+epilogue.EmailSHA256("ana@example.com") {
			t.Fatalf("marketing marks: %+v", marks)
		}
	})
}

func TestFeedbackAndLoyalty(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		f := &journey.Feedback{ID: "fb_1", ShopID: "a", Kind: journey.FeedbackReview, OrderID: "1001", CustomerID: "c1", Score: 5, Comment: "Lovely", Time: t0}
		act := func() *epilogue.Activity {
			return &epilogue.Activity{ShopID: "a", Kind: epilogue.ActivityReviewSubmitted, OrderID: "1001", CustomerID: "c1", Time: t0}
		}
		pts := &journey.LoyaltyEntry{ID: "fb_1", ShopID: "a", CustomerID: "c1", Points: 50, Reason: "review", OrderID: "1001", Time: t0}
		created, err := db.SaveFeedback(ctx, f, act(), pts)
		must(t, err)
		again, err := db.SaveFeedback(ctx, f, act(), pts)
		must(t, err)
		if !created || again {
			t.Fatalf("created %v, again %v", created, again)
		}
		acts, err := db.OrderActivities(ctx, "a", "1001")
		must(t, err)
		if len(acts) != 1 || acts[0].Kind != epilogue.ActivityReviewSubmitted {
			t.Fatalf("activities: %+v", acts)
		}
		must(t, db.CommitBatch(ctx, &journey.Batch{Now: t0, Enroll: []*journey.Run{enrollRun("a", "enr_1", "1001", t0)}}))
		bal, hist, err := db.Loyalty(ctx, "a", "c1", 0)
		must(t, err)
		if bal != 60 || len(hist) != 2 || hist[0].ID != "enr_1/points" || hist[1].Reason != "review" {
			t.Fatalf("loyalty: %d %+v", bal, hist)
		}
		if bal, _ := db.LoyaltyBalance(ctx, "a", "nobody"); bal != 0 {
			t.Fatalf("balance of nobody: %d", bal)
		}
	})
}

func TestDecisionsByRef(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		mk := func(shop, id, ref string, at time.Time) *epilogue.Decision {
			return &epilogue.Decision{ID: id, ShopID: shop, PlacementID: "email", Surface: "email", Arm: epilogue.ArmPolicy,
				CustomerKey: "id:c1", ConfirmationRef: ref, Time: at, Offers: []epilogue.ShownOffer{{OfferID: "off_1"}}}
		}
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{mk("a", "dec_1", "1001", t0), mk("a", "dec_2", "1002", t0),
			mk("b", "dec_3", "1001", t0), mk("a", "dec_4", "1001", t0.Add(time.Hour)), mk("a", "dec_5", "", t0)}))
		ds, err := db.DecisionsByRef(ctx, "a", "1001")
		must(t, err)
		if len(ds) != 2 || ds[0].ID != "dec_1" || ds[1].ID != "dec_4" || ds[0].Offers[0].OfferID != "off_1" {
			t.Fatalf("decisions of 1001: %+v", ds)
		}
		none, err := db.DecisionsByRef(ctx, "a", "")
		must(t, err)
		if len(none) != 0 {
			t.Fatalf("an empty ref matched %d decisions", len(none))
		}
	})
}

func TestEraseCustomerMessages(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		sent, pending := enrollRun("a", "enr_1", "1001", t0), enrollRun("a", "enr_2", "1002", t0)
		must(t, db.CommitBatch(ctx, &journey.Batch{Now: t0, Enroll: []*journey.Run{sent, pending}}))
		got, err := db.ClaimMessages(ctx, t0, "s1", time.Minute, 1)
		must(t, err)
		at := t0
		got[0].Status, got[0].SentAt, got[0].Attempts = journey.MsgSent, &at, 1
		must(t, db.FinishMessages(ctx, "s1", t0, []journey.Outcome{{Message: got[0]}}))
		must(t, db.EraseCustomerMessages(ctx, "a", "c1"))
		for _, order := range []string{"1001", "1002"} {
			msgs, _, err := db.OrderMessages(ctx, "a", order)
			must(t, err)
			m := msgs[0]
			if m.To != "" || m.Subject != "" || m.Why != "test" {
				t.Fatalf("after erasure: %+v", m)
			}
			if m.ID != got[0].ID && (m.Status != journey.MsgSkipped || m.Reason != "customer erased") {
				t.Fatalf("the pending message: %s %q", m.Status, m.Reason)
			}
		}
		if left, _ := db.ClaimMessages(ctx, t0.Add(time.Hour), "s2", time.Minute, 10); len(left) != 0 {
			t.Fatalf("erased messages still due: %d", len(left))
		}
	})
}

// Erasing a customer removes the words of their reviews and answers and keeps the scores; other
// customers' and other shops' feedback is untouched.
func TestEraseCustomerFeedback(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		for _, f := range []*journey.Feedback{
			{ID: "fb_1", ShopID: "a", Kind: journey.FeedbackReview, OrderID: "1001", CustomerID: "c1", Score: 5, Comment: "Ana here, call me on 555-0100", Time: t0},
			{ID: "fb_2", ShopID: "a", Kind: journey.FeedbackNPS, OrderID: "1002", CustomerID: "c2", Score: 9, Comment: "Grace's words", Time: t0},
			{ID: "fb_3", ShopID: "b", Kind: journey.FeedbackNPS, OrderID: "1001", CustomerID: "c1", Score: 7, Comment: "Shop b's c1", Time: t0},
		} {
			_, err := db.SaveFeedback(ctx, f, &epilogue.Activity{ShopID: f.ShopID, Kind: epilogue.ActivityReviewSubmitted, OrderID: f.OrderID, CustomerID: f.CustomerID, Time: t0}, nil)
			must(t, err)
		}
		must(t, db.EraseCustomer(ctx, "a", "c1", t0.Add(time.Hour)))
		for id, want := range map[string]string{"fb_1": "", "fb_2": "Grace's words", "fb_3": "Shop b's c1"} {
			var comment string
			var score int
			must(t, db.QueryRow(ctx, "SELECT comment, score FROM feedback WHERE id = '"+id+"'", &comment, &score))
			if comment != want || score == 0 {
				t.Errorf("%s after erasing a's c1: comment %q, score %d; want %q and the score kept", id, comment, score, want)
			}
		}
	})
}
