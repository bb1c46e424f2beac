package learn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// A snapshot blob is: magic, format version, the configuration, the update and snapshot
// counters, the model version, the weight slots that differ from the prior (sparse, in
// ascending slot order) and a CRC-32C of everything before it. A young model is mostly prior,
// so the sparse form keeps the blobs that replicas reload small.
const (
	snapshotMagic  = "EPLM"
	snapshotFormat = 1
	headerSize     = 4 + 2 + 1 + 1 + 5*8 + 2*8 + 2
	slotSize       = 4 + 4*4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is returned (wrapped) by UnmarshalBinary for a blob that is truncated, altered or
// not a model snapshot.
var ErrCorrupt = errors.New("learn: corrupt model snapshot")

// MarshalBinary encodes the model as a snapshot blob.
func (m *Model) MarshalBinary() ([]byte, error) {
	prior := m.prior()
	n := 0
	for i := range m.tab {
		if m.tab[i] != prior {
			n++
		}
	}
	b := make([]byte, 0, headerSize+len(m.version)+4+n*slotSize+4)
	b = append(b, snapshotMagic...)
	b = binary.LittleEndian.AppendUint16(b, snapshotFormat)
	b = append(b, byte(m.cfg.Bits), 0)
	for _, f := range []float64{m.cfg.PriorVariance, m.cfg.MinVariance, m.cfg.EngageRate, m.cfg.ConvertRate, m.cfg.BiasVariance} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	b = binary.LittleEndian.AppendUint64(b, m.updates)
	b = binary.LittleEndian.AppendUint64(b, m.seq)
	if len(m.version) > math.MaxUint16 {
		return nil, errors.New("learn: model version too long")
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(m.version)))
	b = append(b, m.version...)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	for i := range m.tab {
		e := &m.tab[i]
		if *e == prior {
			continue
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(i))
		for _, f := range e {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

func (m *Model) prior() entry {
	v := float32(m.cfg.PriorVariance)
	return entry{0, v, 0, v}
}

// UnmarshalBinary replaces the model with the one encoded in a snapshot blob. A truncated or
// altered blob is an error wrapping ErrCorrupt, and leaves the model as it was.
func (m *Model) UnmarshalBinary(b []byte) error {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	if len(b) < headerSize+4+4 || string(b[:4]) != snapshotMagic {
		return corrupt("not a snapshot (%d bytes)", len(b))
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return corrupt("checksum mismatch (truncated or altered)")
	}
	if f := binary.LittleEndian.Uint16(body[4:]); f != snapshotFormat {
		return corrupt("format version %d, this build reads %d", f, snapshotFormat)
	}
	var cfg Config
	cfg.Bits = int(body[6])
	p := body[8:]
	f64 := func() float64 { v := math.Float64frombits(binary.LittleEndian.Uint64(p)); p = p[8:]; return v }
	cfg.PriorVariance, cfg.MinVariance, cfg.EngageRate, cfg.ConvertRate, cfg.BiasVariance = f64(), f64(), f64(), f64(), f64()
	if !cfg.valid() {
		return corrupt("invalid configuration")
	}
	updates := binary.LittleEndian.Uint64(p)
	seq := binary.LittleEndian.Uint64(p[8:])
	vlen := int(binary.LittleEndian.Uint16(p[16:]))
	p = p[18:]
	if len(p) < vlen+4 {
		return corrupt("short version")
	}
	version := string(p[:vlen])
	p = p[vlen:]
	n := int(binary.LittleEndian.Uint32(p))
	p = p[4:]
	size := 1 << cfg.Bits
	if n > size || len(p) != n*slotSize {
		return corrupt("%d slots in %d bytes", n, len(p))
	}
	nm := &Model{cfg: cfg, shift: uint(64 - cfg.Bits), updates: updates, seq: seq, version: version, ident: idents.Add(1)}
	nm.bias = biasHash >> nm.shift
	nm.tab = make([]entry, size)
	prior := nm.prior()
	for i := range nm.tab {
		nm.tab[i] = prior
	}
	last := -1
	for range n {
		i := int(binary.LittleEndian.Uint32(p))
		if i <= last || i >= size {
			return corrupt("slot %d out of order", i)
		}
		last = i
		e := &nm.tab[i]
		for k := range e {
			e[k] = math.Float32frombits(binary.LittleEndian.Uint32(p[4+4*k:]))
			if math.IsNaN(float64(e[k])) || math.IsInf(float64(e[k]), 0) || (k%2 == 1 && e[k] <= 0) {
				return corrupt("slot %d holds an invalid number", i)
			}
		}
		p = p[slotSize:]
	}
	*m = *nm
	return nil
}
