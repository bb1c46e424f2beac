package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/epiloguehq/epilogue"
)

// decisionData is the part of a decision kept as JSON; what queries filter on has columns.
type decisionData struct {
	Offers        []epilogue.ShownOffer     `json:"offers"`
	Candidates    compactVerdicts           `json:"candidates"`
	Filtered      map[string]int            `json:"filtered"`
	NoOfferReason string                    `json:"no_offer_reason,omitempty"`
	ModelVersion  string                    `json:"model_version,omitempty"`
	Latency       time.Duration             `json:"latency,omitempty"`
	Request       *epilogue.DecisionRequest `json:"request,omitempty"`
	History       *epilogue.History         `json:"history,omitempty"`
	Returning     bool                      `json:"returning,omitempty"`
}

const decisionColumns = 9

// InsertDecisions stores a batch of decisions in one transaction. A decision whose id is stored
// already is left as it is.
func (db *DB) InsertDecisions(ctx context.Context, ds []*epilogue.Decision) error {
	if len(ds) == 0 {
		return nil
	}
	args := make([]any, 0, len(ds)*decisionColumns)
	var buf []byte
	for _, d := range ds {
		buf = appendDecisionData(buf[:0], d)
		args = append(args, d.ShopID, d.ID, d.PlacementID, d.Surface, d.Arm, d.CustomerKey, d.ConfirmationRef, micros(d.Time), string(buf))
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockLog(ctx, tx, "decisions"); err != nil {
			return err
		}
		return db.insertRows(ctx, tx, "InsertDecisions", decisionColumns, args)
	})
}

// Decision returns one decision of a shop.
func (db *DB) Decision(ctx context.Context, shopID, id string) (*epilogue.Decision, error) {
	d, _, err := scanDecision(db.read.QueryRowContext(ctx, db.q.get("Decision"), shopID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("decision", id)
	}
	return d, wrap("Decision", err)
}

// DecisionsAfter returns up to limit (default 1000) decisions of every shop stored after seq afterSeq, in insert
// order, and the seq of the last one (afterSeq when there are none): the trainer's cursor.
func (db *DB) DecisionsAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Decision, int64, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("DecisionsAfter"), afterSeq, logLimit(limit))
	if err != nil {
		return nil, afterSeq, wrap("DecisionsAfter", err)
	}
	defer rows.Close()
	ds := []*epilogue.Decision{}
	last := afterSeq
	for rows.Next() {
		d, seq, err := scanDecision(rows)
		if err != nil {
			return nil, afterSeq, wrap("DecisionsAfter", err)
		}
		ds = append(ds, d)
		last = seq
	}
	if err := rows.Err(); err != nil {
		return nil, afterSeq, wrap("DecisionsAfter", err)
	}
	return ds, last, nil
}

func scanDecision(r scanner) (*epilogue.Decision, int64, error) {
	var d epilogue.Decision
	var seq, t int64
	var data string
	if err := r.Scan(&seq, &d.ShopID, &d.ID, &d.PlacementID, &d.Surface, &d.Arm, &d.CustomerKey, &d.ConfirmationRef, &t, &data); err != nil {
		return nil, 0, err
	}
	var dd decisionData
	if err := unmarshal("decision", data, &dd); err != nil {
		return nil, 0, err
	}
	d.Time = fromMicros(t)
	d.Offers, d.Candidates, d.Filtered, d.NoOfferReason = dd.Offers, []epilogue.Verdict(dd.Candidates), dd.Filtered, dd.NoOfferReason
	d.ModelVersion, d.Latency, d.Request = dd.ModelVersion, dd.Latency, dd.Request
	d.History, d.Returning = dd.History, dd.Returning
	return &d, seq, nil
}

// logLimit is the page size of a log read: 1000 unless the caller asks for another.
func logLimit(limit int) int {
	if limit <= 0 {
		return 1000
	}
	return limit
}

// lockLog makes inserts into the decision and event logs take turns on PostgreSQL, so their
// seqs become visible in order (see LockLog). SQLite has one writer, so it needs nothing.
func (db *DB) lockLog(ctx context.Context, tx *sql.Tx, table string) error {
	if !db.q.has("LockLog") {
		return nil
	}
	_, err := db.exec(ctx, tx, "LockLog", "epilogue."+table)
	return err
}

// maxRowsPerStatement bounds a multi-row INSERT well under the parameter limits of both
// databases (32766 in SQLite, 65535 in PostgreSQL).
const maxRowsPerStatement = 512

// chunkRows is how many of n rows the next statement takes: the largest power of two that fits.
// Batches come in every size, and this keeps them to ten statement texts per table, which
// PostgreSQL connections prepare once and reuse, instead of one per size.
func chunkRows(n int) int {
	c := maxRowsPerStatement
	for c > n {
		c /= 2
	}
	return c
}

// insertRows runs a multi-row INSERT over args (cols values per row), in chunks.
func (db *DB) insertRows(ctx context.Context, tx *sql.Tx, name string, cols int, args []any) error {
	for len(args) > 0 {
		n := chunkRows(len(args) / cols)
		if _, err := tx.ExecContext(ctx, db.q.rows(name, n), args[:n*cols]...); err != nil {
			return wrap(name, err)
		}
		args = args[n*cols:]
	}
	return nil
}

// compactVerdicts stores a decision's candidates as [offer id, verdict, reason, score] arrays
// with scores to six significant digits: every decision writes them, and a third of the bytes
// is a third less to write.
type compactVerdicts []epilogue.Verdict

func (c compactVerdicts) MarshalJSON() ([]byte, error) { return c.appendJSON(nil), nil }

func (c compactVerdicts) appendJSON(b []byte) []byte {
	if c == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range c {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendString(b, v.OfferID)
		b = append(b, ',')
		b = appendString(b, v.Verdict)
		b = append(b, ',')
		b = appendString(b, v.Reason)
		b = append(b, ',')
		b = appendFloat(b, v.Score)
		b = append(b, ']')
	}
	return append(b, ']')
}

func (c *compactVerdicts) UnmarshalJSON(b []byte) error {
	var rows [][4]any
	if err := json.Unmarshal(b, &rows); err != nil || rows == nil {
		return err
	}
	*c = make(compactVerdicts, len(rows))
	for i, r := range rows {
		id, _ := r[0].(string)
		verdict, _ := r[1].(string)
		reason, _ := r[2].(string)
		score, _ := r[3].(float64)
		(*c)[i] = epilogue.Verdict{OfferID: id, Verdict: verdict, Reason: reason, Score: score}
	}
	return nil
}
