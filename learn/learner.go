package learn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/tick"
)

// Snapshots is where checkpoints are kept: immutable blobs under increasing versions.
type Snapshots interface {
	// Save stores a version; a version stored already is an epilogue.EConflict error.
	Save(ctx context.Context, version int64, blob []byte, at time.Time) error
	// Versions lists up to limit stored versions, newest first.
	Versions(ctx context.Context, limit int) ([]int64, error)
	Load(ctx context.Context, version int64) ([]byte, error)
	// Prune deletes the versions older than version.
	Prune(ctx context.Context, version int64) error
}

// Leader is leadership of the learner among the replicas that share a database: one trains,
// the others reload what it saves.
type Leader interface {
	// Lead reports whether this replica leads, trying to become the leader when it does not.
	Lead(ctx context.Context) (bool, error)
	// Release gives leadership up.
	Release() error
}

// LearnerConfig wires a Learner; zero durations take the defaults.
type LearnerConfig struct {
	Trainer   TrainerConfig
	Model     Config // of a fresh model, when no checkpoint is stored
	Log       Log
	Snapshots Snapshots
	Leader    Leader // nil: this replica always leads (SQLite is one node)
	// Publish receives every snapshot that should serve from now on (the decision engine's
	// SetScorer): the one loaded at start, each checkpoint and each one reloaded.
	Publish func(*Model)
	Clock   epilogue.Clock
	// SnapshotEvery is how often the leader checkpoints (and followers reload) (default 10 s).
	SnapshotEvery time.Duration
	// PollEvery is how often Run steps (default 1 s).
	PollEvery time.Duration
	// Keep is how many versions stay stored (default 20), so a bad one has good ones behind it.
	Keep   int
	Logger *slog.Logger
}

// Learner runs learning on one replica: the leader trains on the logs and checkpoints the model
// every SnapshotEvery; every other replica reloads the newest checkpoint as often. Whoever
// becomes leader resumes from the newest good checkpoint. A checkpoint that does not decode
// (truncated, altered) is skipped for the one before it.
type Learner struct {
	cfg LearnerConfig
	log *slog.Logger

	mu      sync.Mutex
	trainer *Trainer // set while leading
	serving *Model
	version int64 // of serving; 0 for a fresh model
	// served is the checkpoint serving came from, cursors and all: a replica that takes the
	// lead over the checkpoint it serves resumes from its cursors, not from the logs' start
	// (which taught the model the whole history again at every restart).
	served   *Checkpoint
	bad      map[int64]bool
	saved    time.Time // last checkpoint (leader) or reload (follower)
	savedUpd uint64
}

// NewLearner loads the newest good checkpoint (or starts a fresh model), publishes it and
// returns the learner. It neither trains nor leads until Step.
func NewLearner(ctx context.Context, cfg LearnerConfig) (*Learner, error) {
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = 10 * time.Second
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = time.Second
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 20
	}
	if cfg.Clock == nil {
		cfg.Clock = epilogue.SystemClock{}
	}
	if cfg.Publish == nil {
		cfg.Publish = func(*Model) {}
	}
	l := &Learner{cfg: cfg, log: cfg.Logger, bad: map[int64]bool{}}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	cp, v, err := l.newest(ctx, 0)
	if err != nil {
		return nil, err
	}
	if cp == nil {
		cp = &Checkpoint{Model: New(cfg.Model)}
	}
	l.serve(cp, v)
	l.saved = cfg.Clock.Now()
	return l, nil
}

// Serving returns the snapshot in use and its stored version (0 for a fresh model).
func (l *Learner) Serving() (*Model, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.serving, l.version
}

// Leading reports whether this replica trains.
func (l *Learner) Leading() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.trainer != nil
}

// Stats returns the trainer's counts while leading.
func (l *Learner) Stats() (TrainerStats, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.trainer == nil {
		return TrainerStats{}, false
	}
	return l.trainer.Stats(), true
}

// newest returns the newest checkpoint above version that decodes, with its version, or nil.
func (l *Learner) newest(ctx context.Context, above int64) (*Checkpoint, int64, error) {
	vs, err := l.cfg.Snapshots.Versions(ctx, l.cfg.Keep)
	if err != nil {
		return nil, 0, fmt.Errorf("listing model checkpoints: %w", err)
	}
	for _, v := range vs {
		if v <= above {
			break
		}
		if l.bad[v] {
			continue
		}
		blob, err := l.cfg.Snapshots.Load(ctx, v)
		if epilogue.ErrorCode(err) == epilogue.ENotFound {
			continue // pruned meanwhile
		}
		if err != nil {
			return nil, 0, fmt.Errorf("loading model checkpoint %d: %w", v, err)
		}
		var cp Checkpoint
		if err := cp.UnmarshalBinary(blob); err != nil {
			l.bad[v] = true
			l.log.Error("model checkpoint does not decode; using an older one", "version", v, "bytes", len(blob), "err", err)
			continue
		}
		return &cp, v, nil
	}
	return nil, 0, nil
}

// highest returns the highest stored version, good or bad, so new versions go above it.
func (l *Learner) highest(ctx context.Context) (int64, error) {
	vs, err := l.cfg.Snapshots.Versions(ctx, 1)
	if err != nil || len(vs) == 0 {
		return 0, err
	}
	return vs[0], nil
}

// Step does one round: it settles leadership, then trains and checkpoints when it leads, or
// reloads the newest checkpoint when another replica does.
func (l *Learner) Step(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	lead := true
	if l.cfg.Leader != nil {
		var err error
		if lead, err = l.cfg.Leader.Lead(ctx); err != nil {
			lead = false
			l.log.Warn("learner leadership check failed; not training", "err", err)
		}
	}
	now := l.cfg.Clock.Now()
	switch {
	case lead && l.trainer == nil:
		if err := l.takeOver(ctx, now); err != nil {
			return err
		}
	case !lead && l.trainer != nil:
		l.log.Info("learner: another replica leads now; reloading its checkpoints")
		l.trainer = nil
	}
	if l.trainer == nil {
		if now.Sub(l.saved) < l.cfg.SnapshotEvery {
			return nil
		}
		l.saved = now
		return l.reload(ctx)
	}
	if _, err := l.trainer.Poll(ctx, l.cfg.Log, now); err != nil {
		return fmt.Errorf("learner: reading the logs: %w", err)
	}
	if now.Sub(l.saved) >= l.cfg.SnapshotEvery {
		return l.checkpoint(ctx, now, false)
	}
	return nil
}

// takeOver starts training from the newest good checkpoint: another replica may have saved
// newer ones than the one this replica serves.
func (l *Learner) takeOver(ctx context.Context, now time.Time) error {
	cp, v, err := l.newest(ctx, l.version)
	if err != nil {
		return err
	}
	if cp == nil {
		cp, v = l.served, l.version
	} else {
		l.serve(cp, v)
	}
	top, err := l.highest(ctx)
	if err != nil {
		return err
	}
	l.trainer = Resume(l.cfg.Trainer, cp)
	// New versions go above every stored one, corrupt ones included.
	l.trainer.model.seq = max(l.trainer.model.seq, uint64(max(top, v)))
	l.saved, l.savedUpd = now, l.trainer.model.Updates()
	l.log.Info("learner: leading; training resumes", "from_version", v, "decision_cursor", cp.DecisionCursor, "event_cursor", cp.EventCursor)
	return nil
}

// checkpoint snapshots the trainer, saves the snapshot and publishes it. With nothing new
// learned it does nothing unless forced (at shutdown, to keep the cursors).
func (l *Learner) checkpoint(ctx context.Context, now time.Time, force bool) error {
	l.saved = now
	if !force && l.trainer.model.Updates() == l.savedUpd {
		return nil
	}
	cp := l.trainer.Checkpoint()
	l.savedUpd = l.trainer.model.Updates()
	blob, err := cp.MarshalBinary()
	if err != nil {
		return err
	}
	v := int64(cp.Model.seq)
	if err := l.cfg.Snapshots.Save(ctx, v, blob, now); err != nil {
		if epilogue.ErrorCode(err) == epilogue.EConflict {
			// Another replica saved this version: two leaders for a moment. Step down and
			// take over again from what is stored, if still leading next time.
			l.trainer = nil
			return fmt.Errorf("learner: checkpoint %d exists already; stepping down: %w", v, err)
		}
		return fmt.Errorf("learner: saving checkpoint %d: %w", v, err)
	}
	// Served once stored, so every version a decision records can be loaded again (for
	// off-policy evaluation) and every replica serves the same ones.
	l.serve(cp, v)
	if v > int64(l.cfg.Keep) {
		if err := l.cfg.Snapshots.Prune(ctx, v-int64(l.cfg.Keep)+1); err != nil {
			l.log.Warn("learner: pruning old checkpoints", "err", err)
		}
	}
	return nil
}

// reload serves the newest good checkpoint another replica saved.
func (l *Learner) reload(ctx context.Context) error {
	cp, v, err := l.newest(ctx, l.version)
	if err != nil || cp == nil {
		return err
	}
	l.serve(cp, v)
	return nil
}

// serve makes a checkpoint's model the one decisions score with.
func (l *Learner) serve(cp *Checkpoint, v int64) {
	l.served, l.serving, l.version = cp, cp.Model, v
	l.cfg.Publish(cp.Model)
}

// Run steps every PollEvery until ctx ends, logging failures.
func (l *Learner) Run(ctx context.Context) {
	tick.Every(ctx, l.cfg.PollEvery, func(ctx context.Context) {
		if err := l.Step(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("learner step failed", "err", err)
		}
	})
}

// Close saves a last checkpoint when leading (reading the logs once more first) and gives up
// leadership.
func (l *Learner) Close(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if l.trainer != nil {
		now := l.cfg.Clock.Now()
		if _, perr := l.trainer.Poll(ctx, l.cfg.Log, now); perr != nil {
			err = perr
		}
		err = errors.Join(err, l.checkpoint(ctx, now, true))
		l.trainer = nil
	}
	if l.cfg.Leader != nil {
		err = errors.Join(err, l.cfg.Leader.Release())
	}
	return err
}
