package learn

import "github.com/epiloguehq/epilogue"

// offerKeys returns the hashes of an offer's fields, remembered by offer so that scoring hashes
// an offer's strings once rather than on every decision (a fifth of Score's time). An offer in
// a decision snapshot is never changed in place (a change builds a new snapshot of new offers),
// so the pointer is the key. The memory lives with the pooled moment and starts over when
// rebuilt snapshots have filled it.
func (s *moment) offerKeys(o *epilogue.Offer) offerKeys {
	if k, ok := s.keyMemo[o]; ok {
		return k
	}
	if s.keyMemo == nil || len(s.keyMemo) >= maxRememberedOffers {
		s.keyMemo = make(map[*epilogue.Offer]offerKeys, 256)
	}
	k := offerKeysOf(o)
	s.keyMemo[o] = k
	return k
}

// maxRememberedOffers bounds each pooled moment's memory of offers: far above any shop's live
// offers.
const maxRememberedOffers = 50_000
