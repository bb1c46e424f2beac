package main

import (
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue/notify/smtptest"
)

// TestShipmentBeforeItsOrder: webhooks race, and a carrier's scan may come before the order it
// belongs to. The shipping update waits for the order, then goes to its customer, once; before,
// it was made at once, found no customer, and was skipped for good.
func TestShipmentBeforeItsOrder(t *testing.T) {
	e := startJourneys(t, smtptest.Options{})
	e.scan("S9", "race1", "in_transit")
	e.run()
	e.wantMails(0)
	e.later(2 * time.Second)
	e.order("race1", "c9", "bo@example.com", "en")
	e.run()
	e.wantMails(2)
	got := map[string]int{}
	for _, m := range e.mails() {
		switch s := m.subject(); {
		case strings.Contains(s, "on its way"):
			got["shipped"]++
			if m.to[0] != "bo@example.com" || !strings.Contains(m.text, "1ZS9") {
				t.Errorf("shipped: to %v\n%s", m.to, m.text)
			}
		case strings.Contains(s, "race1"):
			got["confirmation"]++
		}
	}
	if got["shipped"] != 1 || got["confirmation"] != 1 {
		t.Fatalf("messages %v, want a confirmation and a shipping update", got)
	}
	kinds, _ := e.timeline("race1")
	for _, k := range kinds {
		if strings.Contains(k, "skipped") {
			t.Fatalf("a message was skipped: %v", kinds)
		}
	}
	// The same scan again, and the order again, announce nothing more.
	e.scan("S9", "race1", "in_transit")
	e.order("race1", "c9", "bo@example.com", "en")
	e.later(time.Hour)
	e.wantMails(2)
}
