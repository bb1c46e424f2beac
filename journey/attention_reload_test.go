package journey

import (
	"context"
	"testing"
	"time"
)

// marks is what the store would list: spends committed by any replica.
type marks []Mark

func (m marks) AttentionMarks(_ context.Context, since time.Time) ([]Mark, error) {
	var out []Mark
	for _, x := range m {
		if !x.Time.Before(since) {
			out = append(out, x)
		}
	}
	return out, nil
}

// Two replicas share one budget: what one spent reaches the other at its next reload, and a
// spend made here but not yet committed survives the reload without counting twice.
func TestReloadSharesTheBudgetAcrossReplicas(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	a, b := NewAttention(), NewAttention()
	a.Spend("s", "id:c1", now.Add(-time.Hour)) // replica a sent a marketing email an hour ago
	committed := marks{{ShopID: "s", CustomerKey: "id:c1", Time: now.Add(-time.Hour)}}
	if !b.Allows("s", "id:c1", now) {
		t.Fatal("replica b refused before it knew anything")
	}
	if err := b.Reload(context.Background(), committed, now, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if b.Allows("s", "id:c1", now) {
		t.Fatal("replica b allows a second marketing message the same day after reloading")
	}
	// A spend of the last seconds, not in the store yet, is kept; once stored it counts once.
	c := NewAttention()
	c.Spend("s", "id:c2", now.Add(-time.Second))
	if err := c.Reload(context.Background(), marks{}, now, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if c.Allows("s", "id:c2", now) {
		t.Fatal("an uncommitted spend was forgotten by the reload")
	}
	stored := marks{{ShopID: "s", CustomerKey: "id:c2", Time: now.Add(-time.Second).Truncate(time.Microsecond)}}
	c.SetBudget("s", Budget{PerDay: 2, PerWeek: 3})
	if err := c.Reload(context.Background(), stored, now, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if !c.Allows("s", "id:c2", now) {
		t.Fatal("a spend counted twice after it was committed (budget of 2 a day)")
	}
}
