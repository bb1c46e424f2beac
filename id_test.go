package epilogue

import "testing"

// Client-given ids are kept as given, so only ids that read and travel the same everywhere are
// accepted.
func TestValidExternalID(t *testing.T) {
	for id, want := range map[string]bool{
		"order-1001": true, "checkout/thanks": true, "café": true, "注文": true,
		"": false, ".": false, "..": false, "a b": false, "a\tb": false, "a\x7fb": false,
		"a\u0085b": false, // NEL, a C1 control
		"a\u00a0b": false, // a no-break space
		"a\u2028b": false, // a line separator
		"a\ufffdb": false, "a\xffb": false,
	} {
		if got := ValidExternalID(id); got != want {
			t.Errorf("ValidExternalID(%q) = %v, want %v", id, got, want)
		}
	}
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'x'
	}
	if ValidExternalID(string(long)) || !ValidExternalID(string(long[:128])) {
		t.Error("128 bytes is the limit")
	}
}
