package decide

import (
	"context"
	"fmt"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/tick"
)

// Source is where snapshots are built from (the store).
type Source interface {
	Shop(ctx context.Context, id string) (*epilogue.Shop, error)
	AllOffers(ctx context.Context, shopID string) ([]*epilogue.Offer, error)
	AllPlacements(ctx context.Context, shopID string) ([]*epilogue.Placement, error)
	ConfigVersions(ctx context.Context) (map[string]int64, error)
}

// Reload rebuilds one shop's snapshot from the source and swaps it in.
func (e *Engine) Reload(ctx context.Context, src Source, shopID string) error {
	versions, err := src.ConfigVersions(ctx)
	if err != nil {
		return err
	}
	return e.reload(ctx, src, shopID, versions[shopID])
}

func (e *Engine) reload(ctx context.Context, src Source, shopID string, version int64) error {
	shop, err := src.Shop(ctx, shopID)
	if err != nil {
		return err
	}
	offers, err := src.AllOffers(ctx, shopID)
	if err != nil {
		return fmt.Errorf("load offers of %s: %w", shopID, err)
	}
	placements, err := src.AllPlacements(ctx, shopID)
	if err != nil {
		return fmt.Errorf("load placements of %s: %w", shopID, err)
	}
	e.SetSnapshot(NewSnapshot(shop, version, offers, placements, e.budgets))
	return nil
}

// Sync rebuilds the snapshot of every shop whose configuration version differs from the one
// installed: the way a replica sees changes made through another.
func (e *Engine) Sync(ctx context.Context, src Source) error {
	versions, err := src.ConfigVersions(ctx)
	if err != nil {
		return err
	}
	for id, v := range versions {
		if s := e.Snapshot(id); s != nil && s.Version == v {
			continue
		}
		if err := e.reload(ctx, src, id, v); err != nil {
			return err
		}
	}
	return nil
}

// Watch calls Sync every interval until ctx ends, reporting failures to onErr.
func (e *Engine) Watch(ctx context.Context, src Source, every time.Duration, onErr func(error)) {
	tick.Every(ctx, every, func(ctx context.Context) {
		if err := e.Sync(ctx, src); err != nil && ctx.Err() == nil && onErr != nil {
			onErr(err)
		}
	})
}
