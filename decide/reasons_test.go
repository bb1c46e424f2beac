package decide

import "testing"

// Every reason an offer can be filtered for has its words: a reason without them was explained
// with no reason at all and counted in the record under "".
func TestEveryReasonHasText(t *testing.T) {
	seen := map[string]reason{}
	for r := rNone + 1; r < nReasons; r++ {
		s := r.String()
		if s == "" {
			t.Errorf("reason %d has no text", r)
		}
		if o, dup := seen[s]; dup {
			t.Errorf("reasons %d and %d are both %q", o, r, s)
		}
		seen[s] = r
	}
}
