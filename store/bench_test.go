package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
)

// The insert benchmarks report events/s (decisions/s) for the batch sizes the group-commit
// writer sends: go test -run=^$ -bench=Insert ./store/

var batchSizes = []int{100, 500, 2000}

func BenchmarkInsertEvents(b *testing.B) {
	for _, d := range dialects {
		for _, n := range batchSizes {
			b.Run(fmt.Sprintf("%s/batch=%d", d, n), func(b *testing.B) {
				db := open(b, newURL(b, d))
				newShop(b, db, "s1")
				seq := 0
				batch := make([]*epilogue.Event, n)
				b.ResetTimer()
				for b.Loop() {
					for i := range batch {
						seq++
						batch[i] = benchEvent(seq)
					}
					if _, err := db.InsertEvents(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// benchEvent is a plausible event: a client-made random id, one of many customers, one of a
// few dozen offers, and a budget charge on one event in twenty (engagements and conversions of
// paid offers; impressions charge nothing).
func benchEvent(seq int) *epilogue.Event {
	var spend epilogue.Amount
	if seq%20 == 0 {
		spend = 250_000
	}
	e := event("s1", epilogue.RandomString(24), fmt.Sprintf("off_%d", seq%50), fmt.Sprintf("id:c%d", seq*7919%100_000), t0, spend)
	e.Time = t0.Add(time.Duration(seq) * time.Millisecond)
	return e
}

func BenchmarkInsertDecisions(b *testing.B) {
	for _, d := range dialects {
		for _, n := range batchSizes {
			b.Run(fmt.Sprintf("%s/batch=%d", d, n), func(b *testing.B) {
				db := open(b, newURL(b, d))
				newShop(b, db, "s1")
				seq := 0
				batch := make([]*epilogue.Decision, n)
				b.ResetTimer()
				for b.Loop() {
					for i := range batch {
						seq++
						batch[i] = decision("s1", epilogue.NewID(epilogue.PrefixDecision), fmt.Sprintf("id:c%d", seq*7919%100_000))
					}
					if err := db.InsertDecisions(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "decisions/s")
			})
		}
	}
}

// BenchmarkCustomerEvents is the read on a per-customer cache miss, next to a large log.
func BenchmarkCustomerEvents(b *testing.B) {
	for _, d := range dialects {
		b.Run(d, func(b *testing.B) {
			db := open(b, newURL(b, d))
			newShop(b, db, "s1")
			var batch []*epilogue.Event
			for i := range 20000 {
				batch = append(batch, event("s1", fmt.Sprint(i), "off_1", fmt.Sprintf("id:c%d", i%2000), t0, 0))
			}
			if _, err := db.InsertEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				i++
				es, err := db.CustomerEvents(ctx, "s1", fmt.Sprintf("id:c%d", i%2000), t0)
				if err != nil || len(es) != 10 {
					b.Fatal(len(es), err)
				}
			}
		})
	}
}

// BenchmarkDecisionsAfter is the trainer's read of the decision log: decoding every record.
func BenchmarkDecisionsAfter(b *testing.B) {
	for _, d := range dialects {
		b.Run(d, func(b *testing.B) {
			db := open(b, newURL(b, d))
			newShop(b, db, "s1")
			const n = 20_000
			for i := 0; i < n; i += 500 {
				batch := make([]*epilogue.Decision, 500)
				for j := range batch {
					batch[j] = decision("s1", fmt.Sprintf("dec_%d", i+j), fmt.Sprintf("id:c%d", (i+j)*7919%100_000))
				}
				if err := db.InsertDecisions(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			read := 0
			b.ResetTimer()
			for b.Loop() {
				var after int64
				for {
					ds, last, err := db.DecisionsAfter(ctx, after, 2000)
					if err != nil {
						b.Fatal(err)
					}
					if len(ds) == 0 {
						break
					}
					read += len(ds)
					after = last
				}
			}
			b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}
