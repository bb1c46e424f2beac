package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/jsonappend"
)

// The decision log keeps one row per committed batch of a shop's decisions (decision_batches;
// migration 0005 says why): its decisions as JSON lines, each starting with its id, packed as
// one block (decision_pack.go), and a Bloom filter over their ids, customer keys and
// confirmation refs. Lookups by id go to the batches made around the time the id carries;
// lookups by customer or ref test every batch's filter and read only the batches that may hold
// one.

// decisionLine is one decision of a batch as stored.
type decisionLine struct {
	ID              string `json:"id"`
	PlacementID     string `json:"placement_id"`
	Surface         string `json:"surface"`
	Arm             string `json:"arm"`
	CustomerKey     string `json:"customer_key"`
	ConfirmationRef string `json:"confirmation_ref"`
	Time            int64  `json:"time"`
	decisionData
}

// decisionData is the rest of a decision.
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

const (
	decisionBatchColumns = 7
	// maxBatchLines bounds a batch row: a lookup reads a whole row, and an erasure rewrites one.
	maxBatchLines = 128
)

// DecisionRecord is a decision encoded for the log. The decision server encodes each record in
// the request that made it (EncodeDecision), and its writer only concatenates and commits them:
// encoded by the writer, a commit of a thousand decisions was 7 ms of CPU at once every 100 ms,
// and on two cores such a burst starves the request goroutines of a core (p99 at half load in
// `epilogue bench decide`). The total is the same; spread over the requests it has no tail.
type DecisionRecord struct {
	shopID, id string
	time       time.Time
	line       []byte
	keys       [3]uint64 // filter hashes of the id, customer key and confirmation ref (0: none)
}

// lineBuffers are EncodeDecision's scratch buffers.
var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// EncodeDecision encodes d for InsertDecisionRecords. d may change afterwards.
func EncodeDecision(d *epilogue.Decision) *DecisionRecord {
	buf := lineBuffers.Get().(*[]byte)
	line := appendDecisionLine((*buf)[:0], d)
	r := &DecisionRecord{shopID: d.ShopID, id: d.ID, time: d.Time, line: slices.Clone(line)}
	if cap(line) <= 64<<10 {
		*buf = line[:0]
		lineBuffers.Put(buf)
	}
	r.keys[0] = filterHash("i:", d.ID)
	if d.CustomerKey != "" {
		r.keys[1] = filterHash("c:", d.CustomerKey)
	}
	if d.ConfirmationRef != "" {
		r.keys[2] = filterHash("r:", d.ConfirmationRef)
	}
	return r
}

// InsertDecisions stores decisions in one transaction (see InsertDecisionRecords).
func (db *DB) InsertDecisions(ctx context.Context, ds []*epilogue.Decision) error {
	rs := make([]*DecisionRecord, len(ds))
	for i, d := range ds {
		rs[i] = EncodeDecision(d)
	}
	return db.InsertDecisionRecords(ctx, rs)
}

// InsertDecisionRecords stores decisions in one transaction, a row per shop and up to
// maxBatchLines decisions. The same decisions stored again in the same order (a batch retried
// after an uncertain commit) are left as they are.
func (db *DB) InsertDecisionRecords(ctx context.Context, rs []*DecisionRecord) error {
	if len(rs) == 0 {
		return nil
	}
	var args []any
	var bufs []*batchBuffer
	defer func() {
		for _, b := range bufs {
			batchBuffers.Put(b)
		}
	}()
	for _, group := range byShop(rs) {
		for len(group) > 0 {
			n := min(len(group), maxBatchLines)
			buf := batchBuffers.Get().(*batchBuffer)
			bufs = append(bufs, buf)
			args = append(args, batchRow(buf, group[:n])...)
			group = group[n:]
		}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockLog(ctx, tx, "decisions"); err != nil {
			return err
		}
		return db.insertRows(ctx, tx, "InsertDecisionBatch", decisionBatchColumns, args)
	})
}

// batchBuffers hold batches being written: a batch is a few hundred kilobytes of JSON lines,
// and building each in a fresh buffer was a third of the decision server's garbage.
var batchBuffers = sync.Pool{New: func() any { return new(batchBuffer) }}

// batchBuffer is a batch's JSON lines and their packed form (see packBatch).
type batchBuffer struct{ lines, packed []byte }

// byShop splits records by shop, keeping their order; a commit usually holds one shop's.
func byShop(rs []*DecisionRecord) [][]*DecisionRecord {
	var groups [][]*DecisionRecord
next:
	for _, r := range rs {
		for i, g := range groups {
			if g[0].shopID == r.shopID {
				groups[i] = append(g, r)
				continue next
			}
		}
		groups = append(groups, []*DecisionRecord{r})
	}
	return groups
}

// batchRow returns the InsertDecisionBatch values of one shop's records, their data written
// into buf, which must outlive the values' use.
func batchRow(buf *batchBuffer, rs []*DecisionRecord) []any {
	data := buf.lines[:0]
	f := newKeyFilter(3 * len(rs))
	first, last := rs[0].time, rs[0].time
	for i, r := range rs {
		if i > 0 {
			data = append(data, '\n')
		}
		data = append(data, r.line...)
		for _, k := range r.keys {
			if k != 0 {
				f.addHash(k)
			}
		}
		if r.time.Before(first) {
			first = r.time
		}
		if r.time.After(last) {
			last = r.time
		}
	}
	buf.lines = data
	buf.packed = packBatch(buf.packed, data)
	return []any{rs[0].shopID, rs[0].id, micros(first), micros(last), len(rs), []byte(f), buf.packed}
}

// Decision returns one decision of a shop.
func (db *DB) Decision(ctx context.Context, shopID, id string) (*epilogue.Decision, error) {
	match := func(d *epilogue.Decision) bool { return d.ID == id }
	if t, ok := decisionIDTime(id); ok {
		// A decision's time is when its id was made; its batch committed within moments.
		lo, hi := micros(t.Add(-time.Second)), micros(t.Add(time.Second))
		found, err := db.findDecisions(ctx, db.read, shopID, match, 1, "DecisionBatchesAround",
			[]any{shopID, lo, hi + int64(time.Hour/time.Microsecond), hi}, "i:"+id)
		if err != nil || len(found) > 0 {
			return first(found, id, err)
		}
	}
	// An id of another form, or a batch that spanned more than an hour of (simulated) time.
	found, err := db.findDecisions(ctx, db.read, shopID, match, 1, "DecisionBatchKeys", []any{shopID}, "i:"+id)
	return first(found, id, err)
}

func first(found []*epilogue.Decision, id string, err error) (*epilogue.Decision, error) {
	if err != nil {
		return nil, wrap("Decision", err)
	}
	if len(found) == 0 {
		return nil, epilogue.NotFound("decision", id)
	}
	return found[0], nil
}

// DecisionsByRef returns the decisions of a shop's transaction (its confirmation ref), oldest
// first: the order timeline's decisions.
func (db *DB) DecisionsByRef(ctx context.Context, shopID, ref string) ([]*epilogue.Decision, error) {
	found := []*epilogue.Decision{}
	if ref == "" {
		return found, nil
	}
	more, err := db.findDecisions(ctx, db.read, shopID, func(d *epilogue.Decision) bool { return d.ConfirmationRef == ref }, 0,
		"DecisionBatchKeys", []any{shopID}, "r:"+ref)
	return append(found, more...), wrap("DecisionsByRef", err)
}

// querier is what both a database and a transaction offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// findDecisions returns the shop's decisions that match, oldest first, stopping after limit
// (0: no limit), from the batches that a query (of seq and filter) finds and whose filter may
// hold key.
func (db *DB) findDecisions(ctx context.Context, q querier, shopID string, match func(*epilogue.Decision) bool, limit int,
	query string, args []any, key string) ([]*epilogue.Decision, error) {
	seqs, err := db.batchesWith(ctx, q, query, args, key)
	if err != nil {
		return nil, err
	}
	var out []*epilogue.Decision
	for _, seq := range seqs {
		var data []byte
		if err := q.QueryRowContext(ctx, db.q.get("DecisionBatch"), seq, shopID).Scan(&data); err != nil {
			return nil, err
		}
		if err := eachLine(data, shopID, db.skipper(shopID, seq), func(d *epilogue.Decision) bool {
			if match(d) {
				out = append(out, d)
			}
			return limit == 0 || len(out) < limit
		}); err != nil {
			return nil, err
		}
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// batchesWith runs a query of batches' seqs and filters and returns, in order, the seqs of those
// whose filter may hold one of the keys.
func (db *DB) batchesWith(ctx context.Context, q querier, query string, args []any, keys ...string) ([]int64, error) {
	rows, err := q.QueryContext(ctx, db.q.get(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var seq int64
		var f []byte
		if err := rows.Scan(&seq, &f); err != nil {
			return nil, err
		}
		for _, k := range keys {
			if keyFilter(f).mayHold(k) {
				seqs = append(seqs, seq)
				break
			}
		}
	}
	slices.Sort(seqs)
	return seqs, rows.Err()
}

// eachLine decodes a shop's stored batch of decisions in order and passes each to fn until it
// returns false.
// eachLine calls fn with each decision of a stored batch until fn returns false. A line that
// does not decode goes to bad: nil fails the whole batch (erasure, which rewrites batches and
// must not drop what it cannot read), DB.skip-like callbacks leave it out and go on.
func eachLine(data []byte, shopID string, bad func(err error), fn func(*epilogue.Decision) bool) error {
	lines, err := unpackBatch(data, nil)
	if err != nil {
		if bad == nil {
			return err
		}
		bad(err)
		return nil
	}
	for line := range bytes.SplitSeq(lines, []byte("\n")) {
		d, err := parseDecisionLine(line)
		if err != nil {
			if bad == nil {
				return err
			}
			bad(err)
			continue
		}
		d.ShopID = shopID
		if !fn(d) {
			return nil
		}
	}
	return nil
}

// skipper reports undecodable lines of the decision batch at seq through DB.skip.
func (db *DB) skipper(shopID string, seq int64) func(error) {
	return func(err error) { db.skip("decision", shopID, "batch "+strconv.FormatInt(seq, 10), err) }
}

func parseDecisionLine(line []byte) (*epilogue.Decision, error) {
	var l decisionLine
	if err := json.Unmarshal(line, &l); err != nil {
		return nil, wrap("decode decision", err)
	}
	return &epilogue.Decision{
		ID: l.ID, PlacementID: l.PlacementID, Surface: l.Surface, Arm: l.Arm, CustomerKey: l.CustomerKey,
		ConfirmationRef: l.ConfirmationRef, Time: fromMicros(l.Time),
		Offers: l.Offers, Candidates: []epilogue.Verdict(l.Candidates), Filtered: l.Filtered, NoOfferReason: l.NoOfferReason,
		ModelVersion: l.ModelVersion, Latency: l.Latency, Request: l.Request, History: l.History, Returning: l.Returning,
	}, nil
}

// DecisionsAfter returns the decisions of every shop stored after seq afterSeq, in insert order,
// whole batches up to about limit decisions (default 1000), and the seq of the last batch
// (afterSeq when there are none): the trainer's cursor.
func (db *DB) DecisionsAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Decision, int64, error) {
	limit = logLimit(limit)
	rows, err := db.read.QueryContext(ctx, db.q.get("DecisionBatchesAfter"), afterSeq, limit)
	if err != nil {
		return nil, afterSeq, wrap("DecisionsAfter", err)
	}
	defer rows.Close()
	ds := []*epilogue.Decision{}
	last := afterSeq
	for len(ds) < limit && rows.Next() {
		var seq int64
		var shopID string
		var data []byte
		if err := rows.Scan(&seq, &shopID, &data); err != nil {
			return nil, afterSeq, wrap("DecisionsAfter", err)
		}
		if err := eachLine(data, shopID, db.skipper(shopID, seq), func(d *epilogue.Decision) bool {
			ds = append(ds, d)
			return true
		}); err != nil {
			return nil, afterSeq, wrap("DecisionsAfter", err)
		}
		last = seq
	}
	if err := rows.Err(); err != nil {
		return nil, afterSeq, wrap("DecisionsAfter", err)
	}
	return ds, last, nil
}

// decisionIDTime reads the time a decision id was made from its first nine base-36 characters
// after the prefix (see decide's newDecisionID), to the millisecond.
func decisionIDTime(id string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(id, epilogue.PrefixDecision)
	if !ok || len(rest) != 20 {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(rest[:9], 36, 64)
	if err != nil || ms < 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
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
		b = jsonappend.String(b, v.OfferID)
		b = append(b, ',')
		b = jsonappend.String(b, v.Verdict)
		b = append(b, ',')
		b = jsonappend.String(b, v.Reason)
		b = append(b, ',')
		b = jsonappend.Float(b, v.Score)
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
