package store

import (
	"errors"
	"fmt"

	"github.com/klauspost/compress/s2"
)

// A batch's data is its decisions' JSON lines compressed as one S2 block behind a format byte.
// The decision log is most of what Epilogue writes: a decision is about 1.8 kB of JSON, and at
// saturation the bytes (the WAL, its checkpoint copy, their syncs) stalled the request
// goroutines for tens of milliseconds at a time on a machine whose disk is virtual (p99 at half
// load in `epilogue bench decide`: 34 ms on disk, 14 ms on tmpfs). Lines of one batch repeat
// each other's keys and offer ids, and S2 packs a batch about 7 to 1 at under a microsecond a
// decision; flate at its fastest took ten times as long, and zstd four times, for a little more.
// Rows written before have no format byte: their data starts with '{'.
const (
	batchFormatS2 = 0x01
	// maxBatchData bounds what a stored batch may unpack to (maxBatchLines decisions of at most
	// a request body each, with room): a corrupt length must not allocate without limit.
	maxBatchData = 256 << 20
)

// packBatch appends to dst the stored form of a batch's JSON lines.
func packBatch(dst, lines []byte) []byte {
	n := 1 + s2.MaxEncodedLen(len(lines))
	if cap(dst) < n {
		dst = make([]byte, 0, n)
	}
	dst = append(dst[:0], batchFormatS2)
	return dst[:1+len(s2.Encode(dst[1:n], lines))]
}

// unpackBatch returns the JSON lines of a stored batch, decoded into scratch where it has room.
func unpackBatch(data, scratch []byte) ([]byte, error) {
	if len(data) == 0 || data[0] == '{' {
		return data, nil // written before batches were packed
	}
	if data[0] != batchFormatS2 {
		return nil, fmt.Errorf("decision batch: unknown format byte 0x%02x", data[0])
	}
	n, err := s2.DecodedLen(data[1:])
	if err != nil {
		return nil, fmt.Errorf("decision batch: %w", err)
	}
	if n > maxBatchData {
		return nil, errors.New("decision batch: unpacked size out of range")
	}
	if cap(scratch) < n {
		scratch = make([]byte, n)
	}
	lines, err := s2.Decode(scratch[:n], data[1:])
	if err != nil {
		return nil, fmt.Errorf("decision batch: %w", err)
	}
	return lines, nil
}
