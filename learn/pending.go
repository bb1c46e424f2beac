package learn

import (
	"time"

	"github.com/epiloguehq/epilogue"
)

// Stages of a pending example: waiting for its engagement window, then (engaged only) for its
// conversion window.
const (
	stageEngage = iota
	stageConvert
)

// example is one shown offer whose labels are not final yet.
type example struct {
	key       exKey
	shop      string
	d         *epilogue.Decision // nil until the decision record is read
	dcursor   int64              // where re-reading the decision log finds d
	cursor    int64              // where re-reading the event log finds every event it was built from
	shown     time.Time
	engageBy  time.Time // engagements after this do not count
	convertBy time.Time // conversions after this do not count
	engaged   bool
	converted bool
	stage     int
	due       time.Time // when the current stage is learned
	n         uint64    // start order, so equal deadlines are learned in a fixed order
	index     int       // in the queue
}

// exQueue is a heap of pending examples by deadline.
type exQueue []*example

func (q exQueue) Len() int { return len(q) }
func (q exQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].n < q[j].n
}
func (q exQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *exQueue) Push(x any) {
	ex := x.(*example)
	ex.index = len(*q)
	*q = append(*q, ex)
}
func (q *exQueue) Pop() any {
	old := *q
	ex := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return ex
}

// earlyEvents are engagements and conversions read before their impression.
type earlyEvents struct {
	events []*epilogue.Event
	cursor int64
	at     time.Time
}

// keySet remembers finished examples, so a repeated impression (a reloaded thank-you page) is
// not learned twice. It keeps the latest two generations of keys, as hashes: enough to outlast
// any realistic repeat, bounded in memory. A repeat after both generations rolled over would
// be learned again.
type keySet struct {
	cur, prev map[uint64]struct{}
}

const doneGeneration = 1 << 20

func keyHash(k exKey) uint64 { return Value(Value(fDone, k.decision), k.offer) }

var fDone = Field("done")

func (s *keySet) add(k exKey) {
	if s.cur == nil || len(s.cur) >= doneGeneration {
		s.prev, s.cur = s.cur, make(map[uint64]struct{}, 1024)
	}
	s.cur[keyHash(k)] = struct{}{}
}

func (s *keySet) has(k exKey) bool {
	h := keyHash(k)
	_, a := s.cur[h]
	_, b := s.prev[h]
	return a || b
}
