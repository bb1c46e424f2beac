package journey

import (
	"testing"
	"time"
)

func TestAttentionBudget(t *testing.T) {
	a := NewAttention()
	t0 := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	if !a.Allows("s", "id:c1", t0) || !a.Allows("s", "", t0) {
		t.Fatal("a fresh budget refuses")
	}
	a.Spend("s", "id:c1", t0)
	if a.Allows("s", "id:c1", t0.Add(time.Hour)) {
		t.Fatal("two in one day")
	}
	if !a.Allows("s", "id:c2", t0) || !a.Allows("other", "id:c1", t0) {
		t.Fatal("the budget leaks to another customer or shop")
	}
	if next := a.NextAllowed("s", "id:c1", t0.Add(time.Hour)); !next.Equal(t0.Add(24 * time.Hour)) {
		t.Fatalf("next allowed %v", next)
	}
	// Three a week: the fourth waits for the first to age out.
	a.Spend("s", "id:c1", t0.Add(24*time.Hour))
	a.Spend("s", "id:c1", t0.Add(48*time.Hour))
	now := t0.Add(72 * time.Hour)
	if a.Allows("s", "id:c1", now) {
		t.Fatal("four in a week")
	}
	if next := a.NextAllowed("s", "id:c1", now); !next.Equal(t0.Add(7 * 24 * time.Hour)) {
		t.Fatalf("next allowed after three %v, want a week after the first", next)
	}
	// Per-shop limits; zero allows nothing.
	a.SetBudget("strict", Budget{})
	if a.Allows("strict", "id:c1", t0) {
		t.Fatal("a zero budget allows")
	}
	a.SetBudget("loose", Budget{PerDay: 2, PerWeek: 5})
	a.Spend("loose", "id:c1", t0)
	if !a.Allows("loose", "id:c1", t0) {
		t.Fatal("a budget of two refuses the second")
	}
	// take spends under every key or none.
	ok, next := a.take("s", []string{"id:c3", "id:c1"}, now)
	if ok || !next.Equal(t0.Add(7*24*time.Hour)) || !a.Allows("s", "id:c3", now) {
		t.Fatalf("take over budget: %v %v", ok, next)
	}
	if ok, _ := a.take("s", []string{"id:c3", "em:x"}, now); !ok || a.Allows("s", "em:x", now) {
		t.Fatal("take within budget")
	}
	if n := a.Sweep(t0.Add(30 * 24 * time.Hour)); n != 4 {
		t.Fatalf("swept %d customers, want 4", n)
	}
}

func TestQuietHours(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	q := QuietHours{Start: "21:00", End: "08:00"}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for in, want := range map[string]string{
		"2026-03-16 12:00": "2026-03-16 12:00", // daytime: now
		"2026-03-16 21:00": "2026-03-17 08:00",
		"2026-03-16 23:59": "2026-03-17 08:00",
		"2026-03-17 03:00": "2026-03-17 08:00",
		"2026-03-17 08:00": "2026-03-17 08:00",
		"2026-03-28 22:00": "2026-03-29 08:00", // the night clocks go forward
	} {
		if got := q.QuietUntil(at(in), paris); !got.Equal(at(want)) {
			t.Errorf("%s: quiet until %v, want %s", in, got.In(paris), want)
		}
	}
	day := QuietHours{Start: "13:00", End: "14:00"}
	if got := day.QuietUntil(at("2026-03-16 13:30"), paris); !got.Equal(at("2026-03-16 14:00")) {
		t.Errorf("a window within the day: %v", got)
	}
	none := QuietHours{}
	if got := none.QuietUntil(at("2026-03-16 23:00"), paris); !got.Equal(at("2026-03-16 23:00")) {
		t.Errorf("no quiet hours: %v", got)
	}
}

func TestLinks(t *testing.T) {
	now := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	l := Link{Kind: LinkReview, ShopID: "shop_1", OrderID: "1001", CustomerID: "c1", Ref: "enr_1", Expires: now.Add(time.Hour)}
	tok := SignLink("secret", l)
	if shop, ok := LinkShop(tok); !ok || shop != "shop_1" {
		t.Fatalf("shop of the token: %q %v", shop, ok)
	}
	got, err := VerifyLink("secret", tok, LinkReview, now)
	if err != nil || got != l {
		t.Fatalf("verify: %+v %v", got, err)
	}
	for name, check := range map[string]func() error{
		"other secret": func() error { _, err := VerifyLink("other", tok, LinkReview, now); return err },
		"other kind":   func() error { _, err := VerifyLink("secret", tok, LinkSurvey, now); return err },
		"expired":      func() error { _, err := VerifyLink("secret", tok, LinkReview, now.Add(2*time.Hour)); return err },
		"altered":      func() error { _, err := VerifyLink("secret", "x"+tok, LinkReview, now); return err },
		"garbage":      func() error { _, err := VerifyLink("secret", "abc", LinkReview, now); return err },
	} {
		if check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	forever := SignLink("secret", Link{Kind: LinkUnsubscribe, ShopID: "shop_1", Address: AddressHash("a@b.c")})
	if _, err := VerifyLink("secret", forever, LinkUnsubscribe, now.AddDate(10, 0, 0)); err != nil {
		t.Fatalf("an unsubscribe link expired: %v", err)
	}
}
