package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/notify"
)

// CreateJourney stores a new journey; an id in use is a conflict.
func (db *DB) CreateJourney(ctx context.Context, j *journey.Journey) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.insertJourney(ctx, tx, j, true) })
}

func (db *DB) insertJourney(ctx context.Context, tx *sql.Tx, j *journey.Journey, mustBeNew bool) error {
	data, err := marshal("journey", j)
	if err != nil {
		return err
	}
	n, err := db.exec(ctx, tx, "InsertJourney", j.ShopID, j.ID, j.Status, j.Version, data, micros(j.CreatedAt), micros(j.UpdatedAt))
	if err != nil {
		return err
	}
	if n == 0 && mustBeNew {
		return epilogue.Errorf(epilogue.EConflict, "journey %q exists already", j.ID)
	}
	return nil
}

// UpdateJourney applies change to a stored journey and stores the result as its next version
// (its shop, id and creation time stay). The result is written only over the version change
// was given, so two changes at once (on two replicas) cannot lose one another: the one that
// finds the journey changed applies change again to the new version. An error from change is
// returned as it is, and nothing is written.
func (db *DB) UpdateJourney(ctx context.Context, shopID, id string, change func(*journey.Journey) error) (*journey.Journey, error) {
	var j *journey.Journey
	err := untilWritten("journey "+id, func() (bool, error) {
		var err error
		if j, err = db.Journey(ctx, shopID, id); err != nil {
			return false, err
		}
		created, version := j.CreatedAt, j.Version
		if err := change(j); err != nil {
			return false, err
		}
		j.ShopID, j.ID, j.CreatedAt, j.Version = shopID, id, created, version+1
		data, err := marshal("journey", j)
		if err != nil {
			return false, err
		}
		n, err := db.exec(ctx, db.write, "UpdateJourney", j.Status, j.Version, data, micros(j.UpdatedAt), shopID, id, version)
		return n == 1, err
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// Journey returns one journey of a shop.
func (db *DB) Journey(ctx context.Context, shopID, id string) (*journey.Journey, error) {
	j, _, err := scanJourney(db.read.QueryRowContext(ctx, db.q.get("Journey"), shopID, id), shopID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("journey", id)
	}
	return j, wrap("Journey", err)
}

// Journeys returns one page of a shop's journeys in creation order (f.Status filters), and the
// cursor of the next page ("" after the last).
func (db *DB) Journeys(ctx context.Context, shopID string, f ListFilter) ([]*journey.Journey, string, error) {
	after, err := afterSeq(f)
	if err != nil {
		return nil, "", err
	}
	limit := pageLimit(f)
	rows, err := db.read.QueryContext(ctx, db.q.get("Journeys"), shopID, f.Status, f.Status, after, limit+1)
	if err != nil {
		return nil, "", wrap("Journeys", err)
	}
	js, seqs, err := scanJourneys(rows, shopID)
	if err != nil {
		return nil, "", wrap("Journeys", err)
	}
	if len(js) > limit {
		return js[:limit], cursor(seqs[limit-1]), nil
	}
	return js, "", nil
}

// ShopJourneys returns every journey of a shop, for the scheduler's cache.
func (db *DB) ShopJourneys(ctx context.Context, shopID string) ([]*journey.Journey, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("ShopJourneys"), shopID)
	if err != nil {
		return nil, wrap("ShopJourneys", err)
	}
	js, _, err := scanJourneys(rows, shopID)
	return js, wrap("ShopJourneys", err)
}

func scanJourneys(rows *sql.Rows, shopID string) ([]*journey.Journey, []int64, error) {
	defer rows.Close()
	js := []*journey.Journey{}
	var seqs []int64
	for rows.Next() {
		j, seq, err := scanJourney(rows, shopID)
		if err != nil {
			return nil, nil, err
		}
		js = append(js, j)
		seqs = append(seqs, seq)
	}
	return js, seqs, rows.Err()
}

// scanJourney decodes a journey's JSON and lays the columns over it.
func scanJourney(r scanner, shopID string) (*journey.Journey, int64, error) {
	var seq, version, created, updated int64
	var id, status, data string
	if err := r.Scan(&seq, &id, &status, &version, &data, &created, &updated); err != nil {
		return nil, 0, err
	}
	var j journey.Journey
	if err := unmarshal("journey", data, &j); err != nil {
		return nil, 0, err
	}
	j.ID, j.ShopID, j.Status, j.Version = id, shopID, status, version
	j.CreatedAt, j.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &j, seq, nil
}

// InstallDefaults stores a shop's first messaging settings and its default journeys, once: a
// shop with settings keeps what it has, so a default journey it archived stays archived.
func (db *DB) InstallDefaults(ctx context.Context, shopID string, s journey.Settings, js []*journey.Journey, at time.Time) error {
	data, err := marshal("messaging settings", s)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := db.exec(ctx, tx, "InsertMessagingSettings", shopID, data, micros(at))
		if err != nil || n == 0 {
			return err
		}
		for _, j := range js {
			c := *j
			c.ShopID, c.Version, c.CreatedAt, c.UpdatedAt = shopID, 1, at, at
			if err := db.insertJourney(ctx, tx, &c, false); err != nil {
				return err
			}
		}
		return nil
	})
}

// MessagingSettings returns a shop's messaging settings, and whether it has any.
func (db *DB) MessagingSettings(ctx context.Context, shopID string) (journey.Settings, bool, error) {
	var s journey.Settings
	_, found, err := db.document(ctx, "MessagingSettings", shopID, &s)
	return s, found, err
}

// UpdateMessagingSettings applies change to a shop's stored messaging settings (see
// updateDocument); a shop without any (not installed yet) is not found.
func (db *DB) UpdateMessagingSettings(ctx context.Context, shopID string, change func(*journey.Settings) error, at time.Time) (journey.Settings, error) {
	return updateDocument(ctx, db, docQueries{read: "MessagingSettings", update: "UpdateMessagingSettings", what: "the messaging settings"}, shopID, change, at)
}

// Brand returns the brand a shop set, and whether it set one.
func (db *DB) Brand(ctx context.Context, shopID string) (notify.Brand, bool, error) {
	var b notify.Brand
	_, found, err := db.document(ctx, "Brand", shopID, &b)
	return b, found, err
}

// UpdateBrand applies change to a shop's brand (to an empty one when it set none; see
// updateDocument).
func (db *DB) UpdateBrand(ctx context.Context, shopID string, change func(*notify.Brand) error, at time.Time) (notify.Brand, error) {
	return updateDocument(ctx, db, docQueries{read: "Brand", insert: "InsertBrand", update: "UpdateBrand", what: "the brand"}, shopID, change, at)
}

// docQueries name the queries of one kind of per-shop JSON document: read selects its data,
// update writes (data, updated_at) where (shop_id, data) still match, and insert, when the
// document may be missing, stores the first one unless another writer did.
type docQueries struct{ read, insert, update, what string }

// updateDocument reads a shop's document, applies change and writes the result only over the
// document it read, so two changes at once (two requests, or two replicas) cannot lose one
// another: the one that finds the document changed applies change again to the new one. An
// error from change is returned as it is, and nothing is written.
func updateDocument[T any](ctx context.Context, db *DB, q docQueries, shopID string, change func(*T) error, at time.Time) (T, error) {
	var v, zero T
	err := untilWritten(q.what, func() (bool, error) {
		v = zero
		old, found, err := db.document(ctx, q.read, shopID, &v)
		if err != nil {
			return false, err
		}
		if !found && q.insert == "" {
			return false, epilogue.Errorf(epilogue.ENotFound, "%s of shop %q are not set up", q.what, shopID)
		}
		if err := change(&v); err != nil {
			return false, err
		}
		data, err := marshal(q.read, v)
		if err != nil {
			return false, err
		}
		var n int64
		if found {
			n, err = db.exec(ctx, db.write, q.update, data, micros(at), shopID, old)
		} else {
			n, err = db.exec(ctx, db.write, q.insert, shopID, data, micros(at))
		}
		return n == 1, err
	})
	if err != nil {
		return zero, err
	}
	return v, nil
}

// document reads a shop's JSON document with a query of one column into v, and returns the
// raw data.
func (db *DB) document(ctx context.Context, query, shopID string, v any) (string, bool, error) {
	var data string
	err := db.read.QueryRowContext(ctx, db.q.get(query), shopID).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, wrap(query, err)
	}
	return data, true, unmarshal(query, data, v)
}

// templateData is the part of a template kept as JSON.
type templateData struct {
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

// SaveTemplate stores a shop's version of a template in one locale.
func (db *DB) SaveTemplate(ctx context.Context, shopID string, t notify.Template, at time.Time) error {
	data, err := marshal("template", templateData{Subject: t.Subject, HTML: t.HTML, Text: t.Text})
	if err != nil {
		return err
	}
	_, err = db.exec(ctx, db.write, "SaveTemplate", shopID, t.ID, t.Locale, data, micros(at))
	return err
}

// Templates returns a shop's own templates, by id and locale.
func (db *DB) Templates(ctx context.Context, shopID string) ([]notify.Template, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("Templates"), shopID)
	if err != nil {
		return nil, wrap("Templates", err)
	}
	defer rows.Close()
	out := []notify.Template{}
	for rows.Next() {
		var t notify.Template
		var data string
		if err := rows.Scan(&t.ID, &t.Locale, &data); err != nil {
			return nil, wrap("Templates", err)
		}
		var d templateData
		if err := unmarshal("template", data, &d); err != nil {
			return nil, err
		}
		t.Subject, t.HTML, t.Text = d.Subject, d.HTML, d.Text
		out = append(out, t)
	}
	return out, wrap("Templates", rows.Err())
}
