package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
)

// messageData is the part of a message kept as JSON; what the outbox queries on has columns,
// and the rendered bodies have a table of their own.
type messageData struct {
	To             string            `json:"to"`
	From           string            `json:"from,omitempty"`
	FromName       string            `json:"from_name,omitempty"`
	ReplyTo        string            `json:"reply_to,omitempty"`
	Subject        string            `json:"subject,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	UnsubscribeURL string            `json:"unsubscribe_url,omitempty"`
	JourneyID      string            `json:"journey_id,omitempty"`
	EnrollmentID   string            `json:"enrollment_id,omitempty"`
	StepID         string            `json:"step_id,omitempty"`
	Template       string            `json:"template,omitempty"`
	Why            string            `json:"why,omitempty"`
	OfferTokens    []string          `json:"offer_tokens,omitempty"`
}

const (
	messageColumns      = 17
	messageBodyColumns  = 4
	messageEventColumns = 7
)

// insertMessages stores new messages with their bodies; a message whose idempotency key is
// stored already is left as it is.
func (db *DB) insertMessages(ctx context.Context, tx *sql.Tx, msgs []*journey.Message) error {
	for start := 0; start < len(msgs); {
		chunk := msgs[start : start+chunkRows(len(msgs)-start)]
		args := make([]any, 0, len(chunk)*messageColumns)
		for _, m := range chunk {
			data, err := marshal("message", messageData{To: m.To, From: m.From, FromName: m.FromName, ReplyTo: m.ReplyTo,
				Subject: m.Subject, Headers: m.Headers, UnsubscribeURL: m.UnsubscribeURL, JourneyID: m.JourneyID,
				EnrollmentID: m.EnrollmentID, StepID: m.StepID, Template: m.Template, Why: m.Why, OfferTokens: m.OfferTokens})
			if err != nil {
				return err
			}
			args = append(args, m.ShopID, m.ID, m.IdempotencyKey, m.OrderID, m.CustomerID, m.Channel, b2i(m.Transactional),
				m.Status, m.Reason, m.Attempts, b2i(m.Charged), micros(m.NextAttemptAt), nullMicros(m.ExpiresAt),
				nullMicros(m.SentAt), data, micros(m.CreatedAt), micros(m.CreatedAt))
		}
		fresh, err := db.returningIDs(ctx, tx, "InsertMessages", len(chunk), args)
		if err != nil {
			return err
		}
		var bodies []any
		for _, m := range chunk {
			if fresh[m.ID] && (m.HTML != "" || m.Text != "") {
				bodies = append(bodies, m.ShopID, m.ID, m.HTML, m.Text)
			}
		}
		if err := db.insertRows(ctx, tx, "InsertMessageBodies", messageBodyColumns, bodies); err != nil {
			return err
		}
		start += len(chunk)
	}
	return nil
}

func (db *DB) insertMessageEvents(ctx context.Context, tx *sql.Tx, evs []*journey.MessageEvent) error {
	args := make([]any, 0, len(evs)*messageEventColumns)
	for _, ev := range evs {
		args = append(args, ev.ShopID, ev.MessageID, ev.OrderID, ev.Status, ev.Reason, ev.Attempt, micros(ev.Time))
	}
	return db.insertRows(ctx, tx, "InsertMessageEvents", messageEventColumns, args)
}

// ClaimMessages takes up to limit queued or deferred messages due at now that nobody holds,
// with their bodies, for lease: until then no other process sends them.
func (db *DB) ClaimMessages(ctx context.Context, now time.Time, owner string, lease time.Duration, limit int) ([]*journey.Message, error) {
	rows, err := db.write.QueryContext(ctx, db.q.get("ClaimMessages"), owner, micros(now.Add(lease)), micros(now), micros(now), limit)
	if err != nil {
		return nil, wrap("ClaimMessages", err)
	}
	msgs, err := scanMessages(rows)
	if err != nil {
		return nil, wrap("ClaimMessages", err)
	}
	return msgs, db.loadBodies(ctx, msgs)
}

// loadBodies reads the rendered bodies of messages, a chunk per query.
func (db *DB) loadBodies(ctx context.Context, msgs []*journey.Message) error {
	type key struct{ shop, id string }
	byKey := make(map[key]*journey.Message, len(msgs))
	for _, m := range msgs {
		byKey[key{m.ShopID, m.ID}] = m
	}
	for start := 0; start < len(msgs); {
		chunk := msgs[start : start+chunkRows(len(msgs)-start)]
		args := make([]any, 0, 2*len(chunk))
		for _, m := range chunk {
			args = append(args, m.ShopID, m.ID)
		}
		rows, err := db.read.QueryContext(ctx, db.q.rows("MessageBodies", len(chunk)), args...)
		if err != nil {
			return wrap("MessageBodies", err)
		}
		for rows.Next() {
			var k key
			var html, text string
			if err := rows.Scan(&k.shop, &k.id, &html, &text); err != nil {
				rows.Close()
				return wrap("MessageBodies", err)
			}
			if m := byKey[k]; m != nil {
				m.HTML, m.Text = html, text
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap("MessageBodies", err)
		}
		start += len(chunk)
	}
	return nil
}

func scanMessages(rows *sql.Rows) ([]*journey.Message, error) {
	defer rows.Close()
	out := []*journey.Message{}
	for rows.Next() {
		var m journey.Message
		var transactional, charged, next, created int64
		var expires, sent sql.NullInt64
		var data string
		if err := rows.Scan(&m.ShopID, &m.ID, &m.IdempotencyKey, &m.OrderID, &m.CustomerID, &m.Channel, &transactional,
			&m.Status, &m.Reason, &m.Attempts, &charged, &next, &expires, &sent, &data, &created); err != nil {
			return nil, err
		}
		var d messageData
		if err := unmarshal("message", data, &d); err != nil {
			return nil, err
		}
		m.Transactional, m.Charged = transactional != 0, charged != 0
		m.NextAttemptAt, m.CreatedAt = fromMicros(next), fromMicros(created)
		m.ExpiresAt, m.SentAt = fromNullMicros(expires), fromNullMicros(sent)
		m.To, m.From, m.FromName, m.ReplyTo, m.Subject, m.Headers = d.To, d.From, d.FromName, d.ReplyTo, d.Subject, d.Headers
		m.UnsubscribeURL, m.JourneyID, m.EnrollmentID, m.StepID = d.UnsubscribeURL, d.JourneyID, d.EnrollmentID, d.StepID
		m.Template, m.Why, m.OfferTokens = d.Template, d.Why, d.OfferTokens
		out = append(out, &m)
	}
	return out, rows.Err()
}

// FinishMessages records what became of claimed messages, with their history and any address
// to suppress, in one transaction. A message whose lease owner lost it is left to whoever
// holds it now.
func (db *DB) FinishMessages(ctx context.Context, owner string, now time.Time, outcomes []journey.Outcome) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var events []*journey.MessageEvent
		for _, o := range outcomes {
			m := o.Message
			n, err := db.exec(ctx, tx, "FinishMessage", m.Status, m.Reason, m.Attempts, b2i(m.Charged), micros(m.NextAttemptAt),
				nullMicros(m.SentAt), micros(now), m.ShopID, m.ID, owner)
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			if o.Event != nil {
				events = append(events, o.Event)
			}
			if s := o.Suppress; s != nil {
				if err := db.addSuppression(ctx, tx, s); err != nil {
					return err
				}
			}
		}
		return db.insertMessageEvents(ctx, tx, events)
	})
}

// OrderMessages returns an order's messages (without bodies) and their history, oldest first.
func (db *DB) OrderMessages(ctx context.Context, shopID, orderID string) ([]*journey.Message, []*journey.MessageEvent, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("OrderMessages"), shopID, orderID)
	if err != nil {
		return nil, nil, wrap("OrderMessages", err)
	}
	msgs, err := scanMessages(rows)
	if err != nil {
		return nil, nil, wrap("OrderMessages", err)
	}
	rows, err = db.read.QueryContext(ctx, db.q.get("OrderMessageEvents"), shopID, orderID)
	if err != nil {
		return nil, nil, wrap("OrderMessageEvents", err)
	}
	defer rows.Close()
	evs := []*journey.MessageEvent{}
	for rows.Next() {
		ev := journey.MessageEvent{ShopID: shopID}
		var t int64
		if err := rows.Scan(&ev.MessageID, &ev.OrderID, &ev.Status, &ev.Reason, &ev.Attempt, &t); err != nil {
			return nil, nil, wrap("OrderMessageEvents", err)
		}
		ev.Time = fromMicros(t)
		evs = append(evs, &ev)
	}
	return msgs, evs, wrap("OrderMessageEvents", rows.Err())
}

// AttentionMarks returns what spent customers' attention since a time: marketing messages
// sent (under the customer's id and email keys) and views of partner offers (one per decision).
func (db *DB) AttentionMarks(ctx context.Context, since time.Time) ([]journey.Mark, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("MarketingSent"), micros(since))
	if err != nil {
		return nil, wrap("MarketingSent", err)
	}
	var marks []journey.Mark
	for rows.Next() {
		var shop, customer, data string
		var sent int64
		if err := rows.Scan(&shop, &customer, &data, &sent); err != nil {
			rows.Close()
			return nil, wrap("MarketingSent", err)
		}
		var d messageData
		if err := unmarshal("message", data, &d); err != nil {
			rows.Close()
			return nil, err
		}
		at := fromMicros(sent)
		if customer != "" {
			marks = append(marks, journey.Mark{ShopID: shop, CustomerKey: (&epilogue.CustomerRef{ID: customer}).Key(), Time: at})
		}
		if d.To != "" {
			marks = append(marks, journey.Mark{ShopID: shop, CustomerKey: (&epilogue.CustomerRef{EmailSHA256: epilogue.EmailSHA256(d.To)}).Key(), Time: at})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("MarketingSent", err)
	}
	rows, err = db.read.QueryContext(ctx, db.q.get("PartnerViews"), micros(since))
	if err != nil {
		return nil, wrap("PartnerViews", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m journey.Mark
		var t int64
		if err := rows.Scan(&m.ShopID, &m.CustomerKey, &t); err != nil {
			return nil, wrap("PartnerViews", err)
		}
		m.Time = fromMicros(t)
		marks = append(marks, m)
	}
	return marks, wrap("PartnerViews", rows.Err())
}

// AddSuppression stops messages to an address. A hard bounce or complaint widens an existing
// unsubscribe to every message; nothing narrows a suppression.
func (db *DB) AddSuppression(ctx context.Context, s *journey.Suppression) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.addSuppression(ctx, tx, s) })
}

func (db *DB) addSuppression(ctx context.Context, tx *sql.Tx, s *journey.Suppression) error {
	_, err := db.exec(ctx, tx, "AddSuppression", s.ShopID, s.Channel, s.AddressHash, s.Scope, s.Reason, micros(s.CreatedAt))
	return err
}

// Suppression returns the suppression of an address, or nil.
func (db *DB) Suppression(ctx context.Context, shopID, channel, addressHash string) (*journey.Suppression, error) {
	s, _, err := scanSuppression(db.read.QueryRowContext(ctx, db.q.get("Suppression"), shopID, channel, addressHash), false)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("Suppression", err)
	}
	s.ShopID = shopID
	return s, nil
}

// Suppressions returns one page of a shop's suppressions, oldest first, and the next cursor.
func (db *DB) Suppressions(ctx context.Context, shopID string, f ListFilter) ([]*journey.Suppression, string, error) {
	after, err := afterSeq(f)
	if err != nil {
		return nil, "", err
	}
	limit := pageLimit(f)
	rows, err := db.read.QueryContext(ctx, db.q.get("Suppressions"), shopID, after, limit+1)
	if err != nil {
		return nil, "", wrap("Suppressions", err)
	}
	defer rows.Close()
	out := []*journey.Suppression{}
	var seqs []int64
	for rows.Next() {
		s, seq, err := scanSuppression(rows, true)
		if err != nil {
			return nil, "", wrap("Suppressions", err)
		}
		s.ShopID = shopID
		out = append(out, s)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", wrap("Suppressions", err)
	}
	if len(out) > limit {
		return out[:limit], cursor(seqs[limit-1]), nil
	}
	return out, "", nil
}

func scanSuppression(r scanner, withSeq bool) (*journey.Suppression, int64, error) {
	var s journey.Suppression
	var seq, created int64
	dest := []any{&s.Channel, &s.AddressHash, &s.Scope, &s.Reason, &created}
	if withSeq {
		dest = append([]any{&seq}, dest...)
	}
	if err := r.Scan(dest...); err != nil {
		return nil, 0, err
	}
	s.CreatedAt = fromMicros(created)
	return &s, seq, nil
}

// EraseCustomerMessages forgets what was written to a customer: the address, subject and body
// of every message go, and one not sent yet is skipped. That a message was sent, when and why
// stays, without the person. EraseCustomer should run it in its transaction
// (eraseMessages).
func (db *DB) EraseCustomerMessages(ctx context.Context, shopID, customerID string) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.eraseMessages(ctx, tx, shopID, customerID) })
}

func (db *DB) eraseMessages(ctx context.Context, tx *sql.Tx, shopID, customerID string) error {
	rows, err := tx.QueryContext(ctx, db.q.get("CustomerMessages"), shopID, customerID)
	if err != nil {
		return wrap("CustomerMessages", err)
	}
	type msg struct{ id, status, data string }
	var msgs []msg
	for rows.Next() {
		var m msg
		if err := rows.Scan(&m.id, &m.status, &m.data); err != nil {
			rows.Close()
			return wrap("CustomerMessages", err)
		}
		msgs = append(msgs, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap("CustomerMessages", err)
	}
	for _, m := range msgs {
		var d messageData
		if err := unmarshal("message", m.data, &d); err != nil {
			return err
		}
		d.To, d.Subject, d.UnsubscribeURL, d.Headers, d.OfferTokens = "", "", "", nil, nil
		data, err := marshal("message", d)
		if err != nil {
			return err
		}
		status, reason := m.status, ""
		if status == journey.MsgQueued || status == journey.MsgDeferred {
			status, reason = journey.MsgSkipped, "customer erased"
		}
		if _, err := db.exec(ctx, tx, "EraseMessage", data, status, reason, reason, shopID, m.id); err != nil {
			return err
		}
		if _, err := db.exec(ctx, tx, "EraseMessageBody", shopID, m.id); err != nil {
			return err
		}
	}
	return nil
}
