package learn

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"
)

// Checkpoint is a trainer's durable state: the model, where in the logs to resume reading, and
// the time through which every closed example is in the model.
type Checkpoint struct {
	Model          *Model
	DecisionCursor int64 // re-read the decision log after this seq
	EventCursor    int64 // re-read the event log after this seq
	Through        time.Time
}

// Checkpoint snapshots the trainer: the model under a new version (see Model.Snapshot) and the
// cursors a trainer resumed from it needs. The snapshot is nobody's to update: serve it.
func (t *Trainer) Checkpoint() *Checkpoint {
	dec, ev := t.resumeCursors()
	return &Checkpoint{Model: t.model.Snapshot(), DecisionCursor: dec, EventCursor: ev, Through: t.through}
}

// A checkpoint blob is: magic, format version, the two cursors, the through time, the model's
// snapshot blob (which carries its own checksum) and a CRC-32C of everything before it.
const (
	checkpointMagic  = "EPLC"
	checkpointFormat = 1
	checkpointHeader = 4 + 2 + 3*8 + 4
	noTime           = math.MinInt64
)

// MarshalBinary encodes the checkpoint.
func (c *Checkpoint) MarshalBinary() ([]byte, error) {
	model, err := c.Model.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, checkpointHeader+len(model)+4)
	b = append(b, checkpointMagic...)
	b = binary.LittleEndian.AppendUint16(b, checkpointFormat)
	through := int64(noTime)
	if !c.Through.IsZero() {
		through = c.Through.UnixNano()
	}
	for _, v := range []int64{c.DecisionCursor, c.EventCursor, through} {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(model)))
	b = append(b, model...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

// UnmarshalBinary decodes a checkpoint blob. A truncated or altered blob is an error wrapping
// ErrCorrupt.
func (c *Checkpoint) UnmarshalBinary(b []byte) error {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: checkpoint: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	if len(b) < checkpointHeader+4 || string(b[:4]) != checkpointMagic {
		return corrupt("not a checkpoint (%d bytes)", len(b))
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return corrupt("checksum mismatch (truncated or altered)")
	}
	if f := binary.LittleEndian.Uint16(body[4:]); f != checkpointFormat {
		return corrupt("format version %d, this build reads %d", f, checkpointFormat)
	}
	p := body[6:]
	dec, ev, through := int64(binary.LittleEndian.Uint64(p)), int64(binary.LittleEndian.Uint64(p[8:])), int64(binary.LittleEndian.Uint64(p[16:]))
	n := int(binary.LittleEndian.Uint32(p[24:]))
	p = p[28:]
	if n != len(p) {
		return corrupt("model of %d bytes in %d", n, len(p))
	}
	var m Model
	if err := m.UnmarshalBinary(p); err != nil {
		return err
	}
	*c = Checkpoint{Model: &m, DecisionCursor: dec, EventCursor: ev}
	if through != noTime {
		c.Through = time.Unix(0, through).UTC()
	}
	return nil
}
