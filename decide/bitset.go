package decide

import "math/bits"

// bitset is a set of offer positions in a snapshot; the eligibility prefilter ANDs a few of them
// instead of testing a thousand offers one by one.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(uint(i)%64)) != 0 }
func (b bitset) orIn(o bitset) bitset {
	for i := range b {
		b[i] |= o[i]
	}
	return b
}

// count returns the number of members of b &^ sub (members of b not in sub).
func andNotCount(b, sub bitset) int {
	n := 0
	for i := range b {
		n += bits.OnesCount64(b[i] &^ sub[i])
	}
	return n
}
