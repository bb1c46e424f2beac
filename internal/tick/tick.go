// Package tick runs background work on a timer: the loops that reload, follow, train and
// detect in the background are all this one.
package tick

import (
	"context"
	"time"
)

// Every calls fn every d, the first time after d, until ctx ends. A call that overruns d delays
// the next one; calls never overlap.
func Every(ctx context.Context, d time.Duration, fn func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		}
	}
}
