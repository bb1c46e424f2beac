package store

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Times are stored as BIGINT unix microseconds in UTC: the same in both dialects, sortable, and
// free of driver time-zone conversions.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// marshal encodes the JSON of a data column.
func marshal(what string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", wrap("encode "+what, err)
	}
	return string(b), nil
}

// badRecord is a row read whole whose data column does not decode: lists skip it (DB.skip),
// a lookup of that one row reports it.
type badRecord struct {
	id  string
	err error
}

func (b *badRecord) Error() string { return b.err.Error() }
func (b *badRecord) Unwrap() error { return b.err }

// unmarshal decodes a data column.
func unmarshal(what, data string, v any) error {
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return wrap("decode "+what, err)
	}
	return nil
}

// ListFilter selects one page of a list; for placements its Kind is the surface. It is the
// root type, so the HTTP layer can declare the store it needs without importing this package.
type ListFilter = epilogue.ListFilter

const (
	defaultLimit = 50
	maxLimit     = 200
)

// pageLimit is the filter's limit within 1 to 200, 50 when unset.
func pageLimit(f ListFilter) int {
	switch {
	case f.Limit <= 0:
		return defaultLimit
	case f.Limit > maxLimit:
		return maxLimit
	}
	return f.Limit
}

// afterSeq decodes the cursor: the seq of the last row of the previous page.
func afterSeq(f ListFilter) (int64, error) {
	if f.Cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
	if err == nil && len(b) > 1 && b[0] == 'c' {
		if seq, err := strconv.ParseInt(string(b[1:]), 10, 64); err == nil && seq > 0 {
			return seq, nil
		}
	}
	return 0, epilogue.Invalid("cursor", "is not a cursor this API returned")
}

// cursor encodes a seq so that clients treat it as opaque.
func cursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + strconv.FormatInt(seq, 10)))
}
