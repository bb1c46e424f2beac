package learn

import (
	"context"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Log is the durable record the trainer learns from: decisions and offer events, each read in
// commit order after a seq.
type Log interface {
	DecisionsAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Decision, int64, error)
	EventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Event, int64, error)
}

// logPage is how many records one read of a log returns.
const logPage = 2000

// Poll reads every decision and event committed since the last poll (decisions first, so the
// impressions read now find theirs), fetches the decisions of examples about to be learned
// that are no longer in memory, and learns what closed by now. It returns how many examples it
// learned.
func (t *Trainer) Poll(ctx context.Context, log Log, now time.Time) (int, error) {
	for {
		ds, last, err := log.DecisionsAfter(ctx, t.decRead, logPage)
		if err != nil {
			return 0, err
		}
		// Each record is tagged with the seq its page was read after: re-reading from there
		// finds it again, which is all a resume needs.
		for _, d := range ds {
			t.AddDecision(d, t.decRead)
		}
		t.decRead = last
		if len(ds) < logPage {
			break
		}
	}
	for {
		evs, last, err := log.EventsAfter(ctx, t.evRead, logPage)
		if err != nil {
			return 0, err
		}
		for _, ev := range evs {
			t.AddEvent(ev, t.evRead)
		}
		t.evRead = last
		if len(evs) < logPage {
			break
		}
	}
	if err := t.resolve(ctx, now); err != nil {
		return 0, err
	}
	return t.Train(now), nil
}
