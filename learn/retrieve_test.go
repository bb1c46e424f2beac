package learn

import (
	"sort"
	"testing"

	"github.com/epiloguehq/epilogue"
)

// Among many candidates, retrieval completes the estimates of the promising ones: the offers
// that the complete estimates rank first are, nearly always, ranked first by Score too, and
// each retrieved estimate is exactly the complete one.
func TestRetrievalKeepsTheBest(t *testing.T) {
	w := newWorld(6, 300)
	m := trained(w, 60000)
	all := make([]epilogue.Estimate, len(w.offers))
	one := make([]epilogue.Estimate, 1)
	const moments, top = 200, 3
	same, retrieved := 0, 0
	for range moments {
		mo := w.moment()
		m.Score(mo, w.offers, all)
		full := make([]float64, len(w.offers))
		for i, o := range w.offers {
			m.Score(mo, []*epilogue.Offer{o}, one)
			full[i] = one[0].Value
			if all[i].Std > 0 {
				retrieved++
				if all[i] != one[0] {
					t.Fatalf("offer %d: retrieved estimate %+v, complete %+v", i, all[i], one[0])
				}
			}
		}
		best := func(v func(i int) float64) []int {
			idx := make([]int, len(w.offers))
			for i := range idx {
				idx[i] = i
			}
			sort.Slice(idx, func(a, b int) bool { return v(idx[a]) > v(idx[b]) })
			return idx[:top]
		}
		want := best(func(i int) float64 { return full[i] })
		got := best(func(i int) float64 { return all[i].Value })
		for _, i := range want {
			if all[i].Std > 0 && contains64(got, i) {
				same++
			}
		}
	}
	share := float64(same) / (moments * top)
	t.Logf("%.3f of the complete top %d retrieved and ranked there; %.1f retrieved per moment", share, top, float64(retrieved)/moments)
	if share < 0.95 {
		t.Errorf("only %.3f of the best offers survive retrieval", share)
	}
}

func contains64(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func TestNth(t *testing.T) {
	r := newWorld(1, 0).rng
	for n := 1; n < 200; n += 7 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(r.IntN(20)) // with ties
		}
		s := append([]float64(nil), v...)
		sort.Float64s(s)
		for k := 0; k < n; k += 3 {
			w := append([]float64(nil), v...)
			if got := nth(w, k); got != s[k] {
				t.Fatalf("n %d k %d: %v, want %v", n, k, got, s[k])
			}
		}
	}
}
