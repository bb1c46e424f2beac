package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
)

// Cursor returns where a named reader of the activity log is.
func (db *DB) Cursor(ctx context.Context, name string) (int64, error) {
	var seq int64
	err := db.read.QueryRowContext(ctx, db.q.get("Cursor"), name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, wrap("Cursor", err)
}

const enrollmentColumns = 11

// CommitBatch commits one pass of the journey scheduler in one transaction: the cursor move,
// exits, wakes, new and advanced enrollments, and the messages and points of those that were
// applied. A new enrollment that exists already, or an advanced one whose lease was lost or
// that ended meanwhile, is left as it is, and so are its effects. A cursor another replica
// moved first is a conflict, and nothing is committed.
func (db *DB) CommitBatch(ctx context.Context, b *journey.Batch) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if c := b.Cursor; c != nil {
			if err := db.ensureCursor(ctx, tx, c.Name); err != nil {
				return err
			}
			n, err := db.exec(ctx, tx, "MoveCursor", c.To, c.Name, c.From)
			if err != nil {
				return err
			}
			if n == 0 {
				return epilogue.Errorf(epilogue.EConflict, "the %s cursor moved meanwhile", c.Name)
			}
		}
		var events []*journey.MessageEvent
		for _, x := range b.Exits {
			evs, err := db.exitEnrollment(ctx, tx, x, b.Now)
			if err != nil {
				return err
			}
			events = append(events, evs...)
		}
		for _, w := range b.Wakes {
			if _, err := db.exec(ctx, tx, "WakeEnrollment", micros(w.At), micros(b.Now), w.ShopID, w.EnrollmentID); err != nil {
				return err
			}
		}
		applied, err := db.insertEnrollments(ctx, tx, b.Enroll)
		if err != nil {
			return err
		}
		for _, r := range b.Advance {
			en := r.Enrollment
			data, err := marshal("enrollment", en)
			if err != nil {
				return err
			}
			n, err := db.exec(ctx, tx, "UpdateEnrollment", en.Status, b2i(en.Waiting), en.WaitEvent, micros(en.WakeAt), data,
				micros(en.UpdatedAt), en.ShopID, en.ID, b.Owner)
			if err != nil {
				return err
			}
			if n == 1 {
				applied = append(applied, r)
			}
		}
		if err := db.insertEffects(ctx, tx, applied); err != nil {
			return err
		}
		return db.insertMessageEvents(ctx, tx, events)
	})
}

// ensureCursor creates a cursor at 0 the first time it is used.
func (db *DB) ensureCursor(ctx context.Context, tx *sql.Tx, name string) error {
	var seq int64
	err := tx.QueryRowContext(ctx, db.q.get("Cursor"), name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, db.q.get("InsertCursor"), name)
	}
	return wrap("ensureCursor", err)
}

// exitEnrollment ends an active enrollment and skips its pending messages, returning their
// events. An enrollment that ended meanwhile is left alone.
func (db *DB) exitEnrollment(ctx context.Context, tx *sql.Tx, x journey.Exit, now time.Time) ([]*journey.MessageEvent, error) {
	var data string
	err := tx.QueryRowContext(ctx, db.q.get("EnrollmentData"), x.ShopID, x.EnrollmentID).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("EnrollmentData", err)
	}
	var en journey.Enrollment
	if err := unmarshal("enrollment", data, &en); err != nil {
		return nil, err
	}
	switch en.Status {
	case journey.EnrollActive:
		en.Status, en.Reason, en.Step, en.Waiting, en.WaitEvent, en.UpdatedAt = journey.EnrollExited, x.Reason, "", false, "", now
		if data, err = marshal("enrollment", &en); err != nil {
			return nil, err
		}
		n, err := db.exec(ctx, tx, "ExitEnrollment", data, micros(now), x.ShopID, x.EnrollmentID)
		if err != nil || n == 0 {
			return nil, err
		}
	case journey.EnrollCompleted:
		// It has run its course, but a message it wrote may still wait (quiet hours, the
		// budget): the exit stops that message and leaves the enrollment completed.
	default:
		return nil, nil
	}
	// An enrollment's messages have idempotency keys "<enrollment id>/<step id>"; '0' is the
	// character after '/'.
	reason := "journey ended: " + x.Reason
	rows, err := tx.QueryContext(ctx, db.q.get("SkipPendingMessages"), reason, micros(now), x.ShopID, x.EnrollmentID+"/", x.EnrollmentID+"0")
	if err != nil {
		return nil, wrap("SkipPendingMessages", err)
	}
	defer rows.Close()
	var evs []*journey.MessageEvent
	for rows.Next() {
		ev := &journey.MessageEvent{ShopID: x.ShopID, Status: journey.MsgSkipped, Reason: reason, Time: now}
		if err := rows.Scan(&ev.MessageID, &ev.OrderID); err != nil {
			return nil, wrap("SkipPendingMessages", err)
		}
		evs = append(evs, ev)
	}
	return evs, wrap("SkipPendingMessages", rows.Err())
}

// insertEnrollments inserts new enrollments and returns the runs whose enrollment was new.
func (db *DB) insertEnrollments(ctx context.Context, tx *sql.Tx, runs []*journey.Run) ([]*journey.Run, error) {
	var applied []*journey.Run
	for start := 0; start < len(runs); {
		chunk := runs[start : start+chunkRows(len(runs)-start)]
		args := make([]any, 0, len(chunk)*enrollmentColumns)
		for _, r := range chunk {
			en := r.Enrollment
			data, err := marshal("enrollment", en)
			if err != nil {
				return nil, err
			}
			args = append(args, en.ShopID, en.ID, en.JourneyID, en.OrderID, en.Status, b2i(en.Waiting), en.WaitEvent,
				micros(en.WakeAt), data, micros(en.CreatedAt), micros(en.UpdatedAt))
		}
		fresh, err := db.returningIDs(ctx, tx, "InsertEnrollments", len(chunk), args)
		if err != nil {
			return nil, err
		}
		for _, r := range chunk {
			if fresh[r.Enrollment.ID] {
				applied = append(applied, r)
			}
		}
		start += len(chunk)
	}
	return applied, nil
}

// returningIDs runs a multi-row INSERT … RETURNING id and returns the ids it inserted.
func (db *DB) returningIDs(ctx context.Context, tx *sql.Tx, name string, n int, args []any) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, db.q.rows(name, n), args...)
	if err != nil {
		return nil, wrap(name, err)
	}
	defer rows.Close()
	ids := make(map[string]bool, n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(name, err)
		}
		ids[id] = true
	}
	return ids, wrap(name, rows.Err())
}

// insertEffects stores the messages and loyalty points of applied runs.
func (db *DB) insertEffects(ctx context.Context, tx *sql.Tx, runs []*journey.Run) error {
	var msgs []*journey.Message
	var points []any
	for _, r := range runs {
		msgs = append(msgs, r.Messages...)
		for _, p := range r.Points {
			points = append(points, p.ShopID, p.ID, p.CustomerID, p.Points, p.Reason, p.OrderID, micros(p.Time))
		}
	}
	if err := db.insertMessages(ctx, tx, msgs); err != nil {
		return err
	}
	return db.insertRows(ctx, tx, "InsertLoyalty", 7, points)
}

// OpenEnrollments returns the enrollments of an order that are active or completed: a completed
// one's last messages may still wait to go (quiet hours, the attention budget).
func (db *DB) OpenEnrollments(ctx context.Context, shopID, orderID string) ([]*journey.Enrollment, error) {
	return db.queryEnrollments(ctx, db.read, "OpenEnrollments", shopID, orderID)
}

// OrderEnrollments returns every enrollment of an order, oldest first.
func (db *DB) OrderEnrollments(ctx context.Context, shopID, orderID string) ([]*journey.Enrollment, error) {
	return db.queryEnrollments(ctx, db.read, "OrderEnrollments", shopID, orderID)
}

// ClaimEnrollments takes up to limit active enrollments due at now that nobody holds, for
// lease: until then no other process takes them.
func (db *DB) ClaimEnrollments(ctx context.Context, now time.Time, owner string, lease time.Duration, limit int) ([]*journey.Enrollment, error) {
	return db.queryEnrollments(ctx, db.write, "ClaimEnrollments", owner, micros(now.Add(lease)), micros(now), micros(now), limit)
}

func (db *DB) queryEnrollments(ctx context.Context, e execer, name string, args ...any) ([]*journey.Enrollment, error) {
	rows, err := e.QueryContext(ctx, db.q.get(name), args...)
	if err != nil {
		return nil, wrap(name, err)
	}
	defer rows.Close()
	out := []*journey.Enrollment{}
	for rows.Next() {
		var en journey.Enrollment
		var shop, id, status, waitEvent, data string
		var waiting, wake, created, updated int64
		if err := rows.Scan(&shop, &id, &status, &waiting, &waitEvent, &wake, &data, &created, &updated); err != nil {
			return nil, wrap(name, err)
		}
		if err := unmarshal("enrollment", data, &en); err != nil {
			return nil, err
		}
		// Exits and wakes change the columns only; they are the truth.
		en.ShopID, en.ID, en.Status, en.Waiting, en.WaitEvent = shop, id, status, waiting != 0, waitEvent
		en.WakeAt, en.CreatedAt, en.UpdatedAt = fromMicros(wake), fromMicros(created), fromMicros(updated)
		out = append(out, &en)
	}
	return out, wrap(name, rows.Err())
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
