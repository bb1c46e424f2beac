package journey_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
)

// TestReplicasDoNotLoseJourneyChanges: two replicas, each with its own connection to one
// database, change one journey at once. Each change reads the journey, waits (widening the
// window another replica writes in) and writes it back; every change must land, applied again
// over the other replica's when it lost the race.
func TestReplicasDoNotLoseJourneyChanges(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			u := openDB(t, dialect)
			first := open(t, u)
			clock := epilogue.NewManualClock(time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC))
			seedOrders(t, first, 0, clock.Now())
			replicas := []*journey.Service{
				journey.NewService(journey.Config{Store: first, Clock: clock}),
				journey.NewService(journey.Config{Store: open(t, u), Clock: clock}),
			}
			j := &journey.Journey{Name: "Changes:", Trigger: journey.Trigger{Event: "delivered"},
				Steps: []journey.Step{{Type: journey.StepSend, Template: "delivered"}}}
			if err := replicas[0].CreateJourney(ctx, "s1", j); err != nil {
				t.Fatal(err)
			}
			const each = 4
			var wg sync.WaitGroup
			errs := make(chan error, 2*each)
			for r, svc := range replicas {
				for i := range each {
					wg.Go(func() {
						mark := string(rune('a' + r*each + i))
						_, err := svc.UpdateJourney(ctx, "s1", j.ID, func(j *journey.Journey) error {
							time.Sleep(5 * time.Millisecond)
							j.Name += " " + mark
							return nil
						})
						errs <- err
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := replicas[1].Journey(ctx, "s1", j.ID)
			if err != nil {
				t.Fatal(err)
			}
			for k := range 2 * each {
				if !strings.Contains(got.Name, " "+string(rune('a'+k))) {
					t.Fatalf("change %c was lost: name %q, version %d", 'a'+k, got.Name, got.Version)
				}
			}
			if got.Version != 1+2*each {
				t.Fatalf("version %d after %d changes", got.Version, 2*each)
			}
		})
	}
}
