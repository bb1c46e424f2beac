package store

import "github.com/epiloguehq/epilogue"

// keyFilter is a Bloom filter over the keys of a batch of decisions ("i:" id, "c:" customer
// key, "r:" confirmation ref): about 1% false positives at 10 bits per key and 7 probes. Its
// hash is FNV-1a, fixed forever, since filters outlive the process that wrote them. An empty
// filter (decisions recorded before there were filters) may hold anything.
type keyFilter []byte

const (
	filterBitsPerKey = 10
	filterProbes     = 7
)

func newKeyFilter(keys int) keyFilter {
	return make(keyFilter, max(8, (keys*filterBitsPerKey+7)/8))
}

func (f keyFilter) addDecision(d *epilogue.Decision) {
	f.add("i:", d.ID)
	if d.CustomerKey != "" {
		f.add("c:", d.CustomerKey)
	}
	if d.ConfirmationRef != "" {
		f.add("r:", d.ConfirmationRef)
	}
}

func (f keyFilter) add(prefix, key string) {
	h1, h2 := filterHash(prefix, key)
	m := uint32(len(f) * 8)
	for i := range uint32(filterProbes) {
		b := (h1 + i*h2) % m
		f[b/8] |= 1 << (b % 8)
	}
}

// mayHold reports whether key (with its prefix) may be in the filter; false is certain.
func (f keyFilter) mayHold(key string) bool {
	if len(f) == 0 {
		return true
	}
	h1, h2 := filterHash("", key)
	m := uint32(len(f) * 8)
	for i := range uint32(filterProbes) {
		b := (h1 + i*h2) % m
		if f[b/8]&(1<<(b%8)) == 0 {
			return false
		}
	}
	return true
}

// filterHash is FNV-1a 64 of prefix+key, split into the two hashes of double hashing.
func filterHash(prefix, key string) (uint32, uint32) {
	h := uint64(14695981039346656037)
	for i := 0; i < len(prefix); i++ {
		h ^= uint64(prefix[i])
		h *= 1099511628211
	}
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return uint32(h), uint32(h>>32) | 1
}
