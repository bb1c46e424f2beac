package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epiloguehq/epilogue"
)

// UpdateCustomer applies change to a stored customer and stores the result, or, when the shop
// has no customer of that id (found is false), to a new one, which it then creates. The result
// is written only over the customer change was given, so two changes at once (two requests, or
// two replicas) cannot lose one another: the one that finds the customer changed, or created
// meanwhile, applies change again to what is stored now. The customer's shop, id and creation
// time (a new one's is the one change gives) stay, and so does an erasure: change sees ErasedAt
// and may refuse, but cannot undo it. An error from change is returned as it is, and nothing is
// written.
func (db *DB) UpdateCustomer(ctx context.Context, shopID, id string, change func(c *epilogue.Customer, found bool) error) (*epilogue.Customer, error) {
	var c *epilogue.Customer
	err := untilWritten("customer "+id, func() (bool, error) {
		var old string
		var err error
		c, old, err = scanCustomerData(db.read.QueryRowContext(ctx, db.q.get("Customer"), shopID, id), shopID)
		found := err == nil
		if errors.Is(err, sql.ErrNoRows) {
			c, err = &epilogue.Customer{ID: id, ShopID: shopID, Attributes: map[string]string{}}, nil
		}
		if err != nil {
			return false, wrap("UpdateCustomer", err)
		}
		created, erased := c.CreatedAt, c.ErasedAt
		if err := change(c, found); err != nil {
			return false, err
		}
		c.ShopID, c.ID, c.ErasedAt = shopID, id, erased
		if found {
			c.CreatedAt = created
		}
		data, err := marshal("customer", c)
		if err != nil {
			return false, err
		}
		// A batch, as order ingestion writes the order's customer in: it holds the activity
		// log's lock from the start, which the change's activity needs, and which taken later
		// deadlocked this write with an ingestion on PostgreSQL.
		var n int64
		err = db.batch(ctx, func(b *batch) error {
			var err error
			if found {
				n, err = b.exec("UpdateCustomer", c.EmailSHA256, data, micros(c.UpdatedAt), shopID, id, old)
			} else {
				n, err = b.exec("InsertCustomer", shopID, id, c.EmailSHA256, data, micros(c.CreatedAt), micros(c.UpdatedAt))
			}
			if err != nil || n != 1 {
				return err
			}
			return b.activity(*customerChanged(c))
		})
		return n == 1, err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Customer returns one customer of a shop.
func (db *DB) Customer(ctx context.Context, shopID, id string) (*epilogue.Customer, error) {
	c, err := scanCustomer(db.read.QueryRowContext(ctx, db.q.get("Customer"), shopID, id), shopID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("customer", id)
	}
	return c, wrap("Customer", err)
}

// EraseCustomer forgets who a customer is: it clears their contact details, names and attributes,
// marks them erased, and replaces their key in events and decisions with one random pseudonym, so
// what they did still teaches the model without pointing to a person. The customer part of stored
// decision requests goes too, and so do the words of their reviews and survey answers.
func (db *DB) EraseCustomer(ctx context.Context, shopID, id string, at time.Time) error {
	return db.batch(ctx, func(b *batch) error { // the activity log's lock first, as in UpdateCustomer
		tx := b.tx
		c, err := scanCustomer(tx.QueryRowContext(ctx, db.q.get("Customer"), shopID, id), shopID)
		known := err == nil
		if errors.Is(err, sql.ErrNoRows) {
			// No profile, but decisions, events, orders or messages may still carry the id
			// (a decision request names its customer without a profile being put): erase
			// those, and leave an erased record as the proof.
			c, err = &epilogue.Customer{ID: id, ShopID: shopID, CreatedAt: at}, nil
		}
		if err != nil {
			return wrap("EraseCustomer", err)
		}
		byID := (&epilogue.CustomerRef{ID: c.ID}).Key()
		byEmail := byID // the query takes two keys; without an email both are the id's
		if c.EmailSHA256 != "" {
			byEmail = (&epilogue.CustomerRef{EmailSHA256: c.EmailSHA256}).Key()
		}
		pseudonym := "anon:" + epilogue.RandomString(20)

		if _, err := db.exec(ctx, tx, "PseudonymiseEvents", pseudonym, shopID, byID, byEmail); err != nil {
			return err
		}
		if err := db.pseudonymiseDecisions(ctx, tx, shopID, byID, byEmail, pseudonym); err != nil {
			return err
		}
		if err := db.scrubOrders(ctx, tx, shopID, id); err != nil {
			return err
		}
		if err := db.eraseMessages(ctx, tx, shopID, id); err != nil {
			return err
		}
		if _, err := db.exec(ctx, tx, "EraseFeedback", shopID, id); err != nil {
			return err
		}

		c.Email, c.EmailSHA256, c.Phone, c.FirstName, c.LastName = "", "", "", "", ""
		c.Attributes = map[string]string{} // empty, not unknown
		c.ErasedAt, c.UpdatedAt = &at, at
		data, err := marshal("customer", c)
		if err != nil {
			return err
		}
		if !known {
			_, err = db.exec(ctx, tx, "UpsertCustomer", shopID, id, "", data, micros(at), micros(at), micros(at))
		} else {
			_, err = db.exec(ctx, tx, "EraseCustomer", data, micros(at), micros(at), shopID, id)
		}
		if err != nil {
			return err
		}
		return db.appendActivity(ctx, tx, customerChanged(c))
	})
}

// customerChanged is the activity that tells every replica to reload a customer's profile.
func customerChanged(c *epilogue.Customer) *epilogue.Activity {
	return &epilogue.Activity{ShopID: c.ShopID, Kind: epilogue.ActivityCustomerChanged, CustomerID: c.ID, Time: c.UpdatedAt}
}

// pseudonymiseDecisions rewrites each batch holding one of the customer's decisions: their key
// becomes the pseudonym and the customer part of their request goes.
func (db *DB) pseudonymiseDecisions(ctx context.Context, tx *sql.Tx, shopID, key1, key2, pseudonym string) error {
	seqs, err := db.batchesWith(ctx, tx, "DecisionBatchKeys", []any{shopID}, "c:"+key1, "c:"+key2)
	if err != nil {
		return wrap("CustomerDecisions", err)
	}
	read := "DecisionBatch"
	if db.q.has("DecisionBatchForUpdate") {
		read = "DecisionBatchForUpdate"
	}
	for _, seq := range seqs {
		var data []byte
		if err := tx.QueryRowContext(ctx, db.q.get(read), seq, shopID).Scan(&data); err != nil {
			return wrap("CustomerDecisions", err)
		}
		var rs []*DecisionRecord
		changed := false
		if err := eachLine(data, shopID, nil, func(d *epilogue.Decision) bool {
			if d.CustomerKey != "" && (d.CustomerKey == key1 || d.CustomerKey == key2) {
				d.CustomerKey = pseudonym
				if d.Request != nil {
					// The flat attributes of a request carry the same personal data (names,
					// email hash, zip code) as its customer section.
					d.Request.Customer = epilogue.CustomerRef{}
					d.Request.Attributes = nil
				}
				changed = true
			}
			rs = append(rs, EncodeDecision(d))
			return true
		}); err != nil {
			return err
		}
		if !changed {
			continue // the filter's false positive
		}
		row := batchRow(new(batchBuffer), rs)
		if _, err := db.exec(ctx, tx, "RewriteDecisionBatch", row[5], row[6], seq, shopID); err != nil {
			return err
		}
	}
	return nil
}

func scanCustomer(r scanner, shopID string) (*epilogue.Customer, error) {
	c, _, err := scanCustomerData(r, shopID)
	return c, err
}

// scanCustomerData is scanCustomer that also returns the JSON as stored, which UpdateCustomer
// writes over.
func scanCustomerData(r scanner, shopID string) (*epilogue.Customer, string, error) {
	var id, data string
	var erased sql.NullInt64
	var created, updated int64
	if err := r.Scan(&id, &data, &erased, &created, &updated); err != nil {
		return nil, "", err
	}
	var c epilogue.Customer
	if err := unmarshal("customer", data, &c); err != nil {
		return nil, "", err
	}
	c.ID, c.ShopID = id, shopID
	c.ErasedAt = fromNullMicros(erased)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, data, nil
}

// CustomersAfter returns up to limit (default 1000) customers of every shop after seq afterSeq,
// in creation order, and the seq of the last one: how a starting server loads the consent and
// attributes that decisions read from memory.
func (db *DB) CustomersAfter(ctx context.Context, afterSeq int64, limit int) ([]*epilogue.Customer, int64, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("CustomersAfter"), afterSeq, logLimit(limit))
	if err != nil {
		return nil, afterSeq, wrap("CustomersAfter", err)
	}
	defer rows.Close()
	cs := []*epilogue.Customer{}
	last := afterSeq
	for rows.Next() {
		var seq int64
		var shopID string
		c, err := scanCustomer(prefixScanner{rows, []any{&seq, &shopID}}, "")
		if err != nil {
			return nil, afterSeq, wrap("CustomersAfter", err)
		}
		c.ShopID, last = shopID, seq
		cs = append(cs, c)
	}
	return cs, last, wrap("CustomersAfter", rows.Err())
}

// prefixScanner scans leading columns into extra destinations before the ones a shared scan
// function asks for.
type prefixScanner struct {
	r     scanner
	extra []any
}

func (p prefixScanner) Scan(dest ...any) error { return p.r.Scan(append(p.extra, dest...)...) }

// scrubOrders removes the contact details each of the customer's orders kept of them (email,
// phone, names); the orders themselves stay, for the shop's books and for lift measurement.
func (db *DB) scrubOrders(ctx context.Context, tx *sql.Tx, shopID, customerID string) error {
	rows, err := tx.QueryContext(ctx, db.q.get("CustomerOrders"), shopID, customerID)
	if err != nil {
		return wrap("CustomerOrders", err)
	}
	type row struct {
		seq  int64
		data string
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.data); err != nil {
			rows.Close()
			return wrap("CustomerOrders", err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap("CustomerOrders", err)
	}
	for _, r := range rs {
		var o epilogue.Order
		if err := unmarshal("order", r.data, &o); err != nil {
			return err
		}
		if o.Customer != nil {
			o.Customer = &epilogue.Customer{ID: o.Customer.ID, ShopID: o.Customer.ShopID, Attributes: map[string]string{},
				CreatedAt: o.Customer.CreatedAt, UpdatedAt: o.Customer.UpdatedAt}
		}
		data, err := marshal("order", &o)
		if err != nil {
			return err
		}
		if _, err := db.exec(ctx, tx, "ScrubOrder", data, r.seq); err != nil {
			return err
		}
	}
	return nil
}
