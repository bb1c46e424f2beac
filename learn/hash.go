package learn

import (
	"math"
	"math/bits"
)

// The hash is a small wyhash-style function of our own rather than hash/maphash: feature hashes
// are stored in model snapshots, so they must be the same in every process and every release,
// and maphash seeds are random by design.
const (
	k0 = 0xa0761d6478bd642f
	k1 = 0xe7037ed1a0b428db
	k2 = 0x8ebc6af09c88c6e3
	k3 = 0x589965cc75374cc3
)

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hashString hashes s under seed; fold lower-cases ASCII letters and drops surrounding spaces,
// so "Coffee " and "coffee" are one feature without allocating a folded copy.
func hashString(seed uint64, s string, fold bool) uint64 {
	if fold {
		for len(s) > 0 && isSpace(s[0]) {
			s = s[1:]
		}
		for len(s) > 0 && isSpace(s[len(s)-1]) {
			s = s[:len(s)-1]
		}
	}
	h := seed ^ k0
	n := len(s)
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if fold {
			w = lowerASCII8(w)
		}
		h = mix(w^k1, h^k2)
		s = s[8:]
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	if fold {
		w = lowerASCII8(w)
	}
	h = mix(w^k1, h^k2^uint64(n))
	return mix(h^k3, k1)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// lowerASCII8 lower-cases the ASCII capitals among eight packed bytes (SWAR).
func lowerASCII8(w uint64) uint64 {
	const ones = 0x0101010101010101
	const high = 0x8080808080808080
	ascii := ^w & high
	geA := (w&^high + (0x80-'A')*ones) & ascii // top bit set where byte >= 'A'
	leZ := (w&^high + (0x80-'Z'-1)*ones) & ascii
	upper := geA &^ leZ // >= 'A' and not > 'Z'
	return w | upper>>2
}

// Field returns the hash of a feature field's name: the name space its values hash in.
func Field(name string) uint64 { return hashString(0, name, false) }

// Value returns the feature hash of a value of a field, exactly as given.
func Value(field uint64, v string) uint64 { return hashString(field, v, false) }

// Label returns the feature hash of a free label (a category, device, country…) of a field,
// trimmed and case-folded the way epilogue.Fold does for ASCII.
func Label(field uint64, v string) uint64 { return hashString(field, v, true) }

// Int returns the feature hash of an integer value of a field (a bucket, an hour).
func Int(field uint64, v int64) uint64 { return mix(uint64(v)^k1, field^k3^k2) }

// Cross returns the hash of the conjunction of two features.
func Cross(a, b uint64) uint64 { return mix(a^k2, b^k0) }

// LogBucket returns a bucket of x on a log scale (about three per doubling), signed, so money,
// counts and other heavy-tailed numbers share one bucketing without a pass over the data.
func LogBucket(x float64) int64 {
	if math.IsNaN(x) {
		return math.MinInt32
	}
	neg := x < 0
	b := int64(math.Floor(3 * math.Log2(1+math.Abs(x))))
	if b > 200 {
		b = 200
	}
	if neg {
		return -b - 1
	}
	return b
}
