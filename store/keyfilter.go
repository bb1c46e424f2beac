package store

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

// addHash adds a key by its filterHash.
func (f keyFilter) addHash(h uint64) {
	h1, h2 := split(h)
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
	h1, h2 := split(filterHash("", key))
	m := uint32(len(f) * 8)
	for i := range uint32(filterProbes) {
		b := (h1 + i*h2) % m
		if f[b/8]&(1<<(b%8)) == 0 {
			return false
		}
	}
	return true
}

// filterHash is FNV-1a 64 of prefix+key (never 0 in practice; 0 marks "no key" in a record).
func filterHash(prefix, key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(prefix); i++ {
		h ^= uint64(prefix[i])
		h *= 1099511628211
	}
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return h
}

// split makes the two hashes of double hashing.
func split(h uint64) (uint32, uint32) { return uint32(h), uint32(h>>32) | 1 }
