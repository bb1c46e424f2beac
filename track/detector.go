package track

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/tick"
)

// Watch is one order or shipment stall detection is watching, and since when it has been quiet:
// an order since it was placed, a shipment since its last carrier scan. Neither counts from
// before Epilogue first heard of it, so importing old data sets off no burst of stalls.
type Watch struct {
	ID    string
	Since time.Time
}

// Store is what the detector reads and writes. Both Record methods are conditional on the
// watch being unchanged (Since is compared exactly), so when several replicas find the same
// stall only one records it, and a scan that arrives meanwhile wins over the stall.
type Store interface {
	Shops(ctx context.Context) ([]*epilogue.Shop, error)
	// AwaitingShipment returns up to limit orders of a shop watched since at or before t.
	AwaitingShipment(ctx context.Context, shopID string, t time.Time, limit int) ([]Watch, error)
	// RecordStalledFulfillment reports stalled_fulfillment for an order, once.
	RecordStalledFulfillment(ctx context.Context, shopID string, w Watch, at time.Time) (bool, error)
	// QuietShipments returns up to limit shipments of a shop with no scan since t.
	QuietShipments(ctx context.Context, shopID string, t time.Time, limit int) ([]Watch, error)
	// RecordStalledTransit reports stalled_transit for a shipment, once.
	RecordStalledTransit(ctx context.Context, shopID string, w Watch, at time.Time) (bool, error)
}

// Detector finds paid orders with no shipment after a shop's stall_fulfillment_hours and
// shipments with no carrier scan for its stall_transit_hours, and records each stall once.
type Detector struct {
	store    Store
	clock    epilogue.Clock
	log      *slog.Logger
	interval time.Duration
	batch    int
}

// DetectorConfig holds a detector's collaborators; only Store is required.
type DetectorConfig struct {
	Store Store
	Clock epilogue.Clock
	Log   *slog.Logger
	// Interval is the time between passes (default one minute: thresholds are hours).
	Interval time.Duration
	// Batch is how many stalls of one kind a pass records per shop before moving on to the
	// next shop (default 500); the rest wait for the next pass.
	Batch int
}

// NewDetector returns a detector.
func NewDetector(c DetectorConfig) *Detector {
	d := &Detector{store: c.Store, clock: c.Clock, log: c.Log, interval: c.Interval, batch: c.Batch}
	if d.clock == nil {
		d.clock = epilogue.SystemClock{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.interval <= 0 {
		d.interval = time.Minute
	}
	if d.batch <= 0 {
		d.batch = 500
	}
	return d
}

// Run makes a pass every interval until ctx ends.
func (d *Detector) Run(ctx context.Context) {
	tick.Every(ctx, d.interval, func(ctx context.Context) {
		if n, err := d.Step(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("stall detection", "err", err, "recorded", n)
		} else if n > 0 {
			d.log.Info("stalls recorded", "n", n)
		}
	})
}

// Step makes one pass over every shop and returns how many stalls this replica recorded. A
// failing shop does not stop the others; their errors are joined.
func (d *Detector) Step(ctx context.Context) (int, error) {
	shops, err := d.store.Shops(ctx)
	if err != nil {
		return 0, err
	}
	now := d.clock.Now().UTC()
	total := 0
	var errs []error
	for _, s := range shops {
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
		fh, th := Thresholds(&s.Settings)
		n, err := d.pass(ctx, s.ID, now.Add(-fh), now, d.store.AwaitingShipment, d.store.RecordStalledFulfillment)
		total += n
		errs = append(errs, err)
		n, err = d.pass(ctx, s.ID, now.Add(-th), now, d.store.QuietShipments, d.store.RecordStalledTransit)
		total += n
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// pass records the stalls of one kind in one shop.
func (d *Detector) pass(ctx context.Context, shopID string, before, now time.Time,
	find func(context.Context, string, time.Time, int) ([]Watch, error),
	record func(context.Context, string, Watch, time.Time) (bool, error)) (int, error) {
	ws, err := find(ctx, shopID, before, d.batch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, w := range ws {
		won, err := record(ctx, shopID, w, now)
		if err != nil {
			return n, err
		}
		if won {
			n++
		}
	}
	return n, nil
}

// Thresholds returns a shop's stall thresholds, taking the defaults where they are unset
// (settings stored before the thresholds existed).
func Thresholds(s *epilogue.Settings) (fulfillment, transit time.Duration) {
	fh, th := s.StallFulfillmentHours, s.StallTransitHours
	if fh <= 0 {
		fh = epilogue.DefaultStallFulfillmentHours
	}
	if th <= 0 {
		th = epilogue.DefaultStallTransitHours
	}
	return time.Duration(fh) * time.Hour, time.Duration(th) * time.Hour
}
