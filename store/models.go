package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
)

// ModelInfo describes one stored model version, without its blob.
type ModelInfo struct {
	Version   int64
	Size      int64
	CreatedAt time.Time
}

// SaveModel stores a version of a named model. A version stored already is a conflict: versions
// are immutable, so every replica that loads one gets the same bytes.
func (db *DB) SaveModel(ctx context.Context, name string, version int64, blob []byte, at time.Time) error {
	if blob == nil {
		blob = []byte{}
	}
	n, err := db.exec(ctx, db.write, "SaveModel", name, version, int64(len(blob)), blob, micros(at))
	if err != nil {
		return err
	}
	if n == 0 {
		return epilogue.Errorf(epilogue.EConflict, "model %s version %d exists already", name, version)
	}
	return nil
}

// LatestModel returns the newest version of a named model.
func (db *DB) LatestModel(ctx context.Context, name string) (version int64, blob []byte, err error) {
	err = db.read.QueryRowContext(ctx, db.q.get("LatestModel"), name).Scan(&version, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, epilogue.NotFound("model", name)
	}
	if err != nil {
		return 0, nil, wrap("LatestModel", err)
	}
	return version, blob, nil
}

// Models lists up to limit versions of a named model (all when limit <= 0), newest first, so a
// loader can fall back from a version that does not decode.
func (db *DB) Models(ctx context.Context, name string, limit int) ([]ModelInfo, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := db.read.QueryContext(ctx, db.q.get("Models"), name, limit)
	if err != nil {
		return nil, wrap("Models", err)
	}
	defer rows.Close()
	ms := []ModelInfo{}
	for rows.Next() {
		var m ModelInfo
		var created int64
		if err := rows.Scan(&m.Version, &m.Size, &created); err != nil {
			return nil, wrap("Models", err)
		}
		m.CreatedAt = fromMicros(created)
		ms = append(ms, m)
	}
	return ms, wrap("Models", rows.Err())
}

// ModelBlob returns one version of a named model.
func (db *DB) ModelBlob(ctx context.Context, name string, version int64) ([]byte, error) {
	var blob []byte
	err := db.read.QueryRowContext(ctx, db.q.get("ModelBlob"), name, version).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("model", name+" version "+strconv.FormatInt(version, 10))
	}
	if err != nil {
		return nil, wrap("ModelBlob", err)
	}
	return blob, nil
}
