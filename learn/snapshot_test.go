package learn

import (
	"errors"
	"testing"

	"github.com/epiloguehq/epilogue"
)

func TestSnapshotRoundTrip(t *testing.T) {
	w := newWorld(4, 40)
	m := New(Config{Bits: 16, PriorVariance: 0.03})
	for range 3000 {
		mo := w.moment()
		o := w.offers[w.rng.IntN(len(w.offers))]
		m.Update(mo, o, w.rng.Float64() < w.truth(mo, o))
		m.UpdateConvert(mo, o, w.rng.IntN(4) == 0)
	}
	m = m.Snapshot()
	blob, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Model
	if err := got.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	if got.Version() != m.Version() || got.Updates() != m.Updates() || got.Config() != m.Config() {
		t.Fatalf("header: got %q %d %+v, want %q %d %+v", got.Version(), got.Updates(), got.Config(), m.Version(), m.Updates(), m.Config())
	}
	mo := w.moment()
	a, b := make([]epilogue.Estimate, len(w.offers)), make([]epilogue.Estimate, len(w.offers))
	m.Score(mo, w.offers, a)
	got.Score(mo, w.offers, b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("offer %d: %+v after round trip, %+v before", i, b[i], a[i])
		}
	}
	// A snapshot of a loaded model goes on numbering from where the original was.
	if s := got.Snapshot(); s.Version() == m.Version() {
		t.Fatalf("reloaded model's next snapshot reuses version %q", s.Version())
	}
	t.Logf("%d bytes for %d slots", len(blob), len(m.tab))
}

// Every flipped byte and every truncation is detected, and leaves the model untouched.
func TestSnapshotCorruption(t *testing.T) {
	m := New(Config{Bits: 10})
	for i := range 50 {
		m.UpdateFeatures(Engage, []Feature{{Field("f"), 1}, {Int(Field("n"), int64(i%7)), 2}}, i%3 == 0)
	}
	blob, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	keep := New(Config{Bits: 8})
	check := func(what string, b []byte) {
		t.Helper()
		err := keep.UnmarshalBinary(b)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: err = %v, want ErrCorrupt", what, err)
		}
		if keep.Config().Bits != 8 {
			t.Fatalf("%s: model changed by a failed load", what)
		}
	}
	for i := range blob {
		for _, bit := range []byte{0x01, 0x80} {
			b := append([]byte(nil), blob...)
			b[i] ^= bit
			check("flip", b)
		}
	}
	for n := range len(blob) {
		check("truncate", blob[:n])
	}
	check("extend", append(append([]byte(nil), blob...), 0))
	check("nil", nil)
}
