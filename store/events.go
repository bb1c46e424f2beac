package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/epiloguehq/epilogue"
)

const eventColumns = 13

// InsertEvents stores a batch of events in one transaction. inserted[i] is false when events[i]
// was a duplicate: stored already, or repeated earlier in the batch. Either way nothing changes.
//
// An event with Spend charges its offer's budget only if no event of the same decision, offer
// and type has (the charges table's key decides, across replicas and restarts); otherwise it is
// stored with no spend, and once the batch is committed its Spend reads 0 too, so that what the
// caller applies matches what was stored.
func (db *DB) InsertEvents(ctx context.Context, es []*epilogue.Event) ([]bool, error) {
	inserted := make([]bool, len(es))
	if len(es) == 0 {
		return inserted, nil
	}
	var uncharged []bool // [i]: events[i]'s charge was taken before (nil: none was)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockLog(ctx, tx, "events"); err != nil {
			return err
		}
		var err error
		if uncharged, err = db.takeCharges(ctx, tx, es); err != nil {
			return err
		}
		spend := func(i int) int64 {
			if uncharged != nil && uncharged[i] {
				return 0
			}
			return int64(es[i].Spend)
		}
		args := make([]any, 0, chunkRows(len(es))*eventColumns)
		for start := 0; start < len(es); {
			chunk := es[start : start+chunkRows(len(es)-start)]
			args = args[:0]
			for j, e := range chunk {
				args = append(args, e.ShopID, e.ID, e.Type, e.DecisionID, e.OfferID, e.PlacementID, e.CustomerKey, e.Arm,
					micros(e.Time), int64(e.Value), e.Currency, micros(e.ReceivedAt), spend(start+j))
			}
			rows, err := tx.QueryContext(ctx, db.q.rows("InsertEvents", len(chunk)), args...)
			if err != nil {
				return wrap("InsertEvents", err)
			}
			fresh := make(map[eventKey]bool, len(chunk))
			for rows.Next() {
				var k eventKey
				if err := rows.Scan(&k.shop, &k.id); err != nil {
					rows.Close()
					return wrap("InsertEvents", err)
				}
				fresh[k] = true
			}
			if err := rows.Close(); err != nil {
				return wrap("InsertEvents", err)
			}
			if err := rows.Err(); err != nil {
				return wrap("InsertEvents", err)
			}
			// Rows go in in order, so the first of repeated ids is the one stored; later chunks
			// cannot insert an id an earlier one did, because the conflict catches it.
			for i, e := range chunk {
				k := eventKey{e.ShopID, e.ID}
				if fresh[k] {
					inserted[start+i] = true
					delete(fresh, k)
				}
			}
			start += len(chunk)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, taken := range uncharged {
		if taken {
			es[i].Spend = 0 // only now: a failed transaction, retried, must charge again
		}
	}
	return inserted, nil
}

type eventKey struct{ shop, id string }

type chargeKey struct{ shop, decision, offer, typ string }

const chargeColumns = 4

// takeCharges records the charges of the batch's events that have Spend and marks those whose
// charge an earlier event (stored, or earlier in the batch) holds.
func (db *DB) takeCharges(ctx context.Context, tx *sql.Tx, es []*epilogue.Event) ([]bool, error) {
	var charging []int
	for i, e := range es {
		if e.Spend > 0 {
			charging = append(charging, i)
		}
	}
	if len(charging) == 0 {
		return nil, nil
	}
	fresh := map[chargeKey]bool{}
	args := make([]any, 0, chunkRows(len(charging))*chargeColumns)
	for start := 0; start < len(charging); {
		chunk := charging[start : start+chunkRows(len(charging)-start)]
		args = args[:0]
		for _, i := range chunk {
			e := es[i]
			args = append(args, e.ShopID, e.DecisionID, e.OfferID, e.Type)
		}
		rows, err := tx.QueryContext(ctx, db.q.rows("InsertCharges", len(chunk)), args...)
		if err != nil {
			return nil, wrap("InsertCharges", err)
		}
		for rows.Next() {
			var k chargeKey
			if err := rows.Scan(&k.shop, &k.decision, &k.offer, &k.typ); err != nil {
				rows.Close()
				return nil, wrap("InsertCharges", err)
			}
			fresh[k] = true
		}
		if err := rows.Close(); err != nil {
			return nil, wrap("InsertCharges", err)
		}
		if err := rows.Err(); err != nil {
			return nil, wrap("InsertCharges", err)
		}
		start += len(chunk)
	}
	taken := make([]bool, len(es))
	for _, i := range charging {
		e := es[i]
		k := chargeKey{e.ShopID, e.DecisionID, e.OfferID, e.Type}
		taken[i] = !fresh[k]
		delete(fresh, k) // the first event of the key charges, the rest do not
	}
	return taken, nil
}

// EventsByID returns the stored events of a shop with the given ids, by id; ids not stored are
// absent. It is how a repeated event id is told apart as a retry or a different event.
func (db *DB) EventsByID(ctx context.Context, shopID string, ids []string) (map[string]*epilogue.Event, error) {
	found := make(map[string]*epilogue.Event, len(ids))
	for start := 0; start < len(ids); {
		chunk := ids[start : start+chunkRows(len(ids)-start)]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, shopID)
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := db.read.QueryContext(ctx, db.q.rows("EventsByID", len(chunk)), args...)
		if err != nil {
			return nil, wrap("EventsByID", err)
		}
		es, _, err := scanEvents(rows, 0)
		if err != nil {
			return nil, wrap("EventsByID", err)
		}
		for _, e := range es {
			found[e.ID] = e
		}
		start += len(chunk)
	}
	return found, nil
}

// EventsAfter returns up to limit (default 1000) events of every shop stored after seq afterSeq, in insert
// order, and the seq of the last one (afterSeq when there are none).
func (db *DB) EventsAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Event, int64, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("EventsAfter"), afterSeq, logLimit(limit))
	if err != nil {
		return nil, afterSeq, wrap("EventsAfter", err)
	}
	es, last, err := scanEvents(rows, afterSeq)
	if err != nil {
		return nil, afterSeq, wrap("EventsAfter", err)
	}
	return es, last, nil
}

// CustomerEvents returns a customer's events since a time, oldest first: what per-customer state
// is rebuilt from when it is not cached.
func (db *DB) CustomerEvents(ctx context.Context, shopID, customerKey string, since time.Time) ([]*epilogue.Event, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("CustomerEvents"), shopID, customerKey, micros(since))
	if err != nil {
		return nil, wrap("CustomerEvents", err)
	}
	es, _, err := scanEvents(rows, 0)
	return es, wrap("CustomerEvents", err)
}

// Spend is what an offer's events charged its budget.
type Spend struct {
	Total epilogue.Amount // all time
	Today epilogue.Amount // since the start of the shop's day
}

// Spend returns, per offer id of a shop, the sum of Event.Spend over all time and since dayStart.
// Offers that never spent are absent.
func (db *DB) Spend(ctx context.Context, shopID string, dayStart time.Time) (map[string]Spend, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("Spend"), micros(dayStart), shopID)
	if err != nil {
		return nil, wrap("Spend", err)
	}
	defer rows.Close()
	spend := map[string]Spend{}
	for rows.Next() {
		var offer string
		var total, today int64
		if err := rows.Scan(&offer, &total, &today); err != nil {
			return nil, wrap("Spend", err)
		}
		spend[offer] = Spend{Total: epilogue.Amount(total), Today: epilogue.Amount(today)}
	}
	return spend, wrap("Spend", rows.Err())
}

func scanEvents(rows *sql.Rows, last int64) ([]*epilogue.Event, int64, error) {
	defer rows.Close()
	es := []*epilogue.Event{}
	for rows.Next() {
		var e epilogue.Event
		var t, received, value, spend int64
		if err := rows.Scan(&last, &e.ShopID, &e.ID, &e.Type, &e.DecisionID, &e.OfferID, &e.PlacementID, &e.CustomerKey,
			&e.Arm, &t, &value, &e.Currency, &received, &spend); err != nil {
			return nil, 0, err
		}
		e.Time, e.ReceivedAt = fromMicros(t), fromMicros(received)
		e.Value, e.Spend = epilogue.Amount(value), epilogue.Amount(spend)
		es = append(es, &e)
	}
	return es, last, rows.Err()
}
