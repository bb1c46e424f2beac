package httpapi

import "testing"

// An escaped half of a surrogate pair is found; a whole pair, an escaped backslash before
// "u", and other escapes are not.
func TestLoneSurrogate(t *testing.T) {
	for in, want := range map[string]int{
		`{"t":"T\ud800"}`:           7,
		`{"t":"\udc00x"}`:           6,
		`{"t":"\ud83d\ude00"}`:      -1, // 😀
		`{"t":"\ud83d\u0041"}`:      6,
		`{"t":"\\ud800"}`:           -1, // a backslash, then the text ud800
		`{"t":"\\\ud800"}`:          8,
		`{"t":"\u00e9\n"}`:          -1,
		`{"t":"no escapes at all"}`: -1,
		`{"t":"\u12"}`:              -1,
	} {
		if got := loneSurrogate([]byte(in)); got != want {
			t.Errorf("%s: %d, want %d", in, got, want)
		}
	}
}
