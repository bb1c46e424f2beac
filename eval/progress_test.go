package eval

import (
	"strings"
	"testing"
)

// Long reads report how far they are; with a known total, as a share of it.
func TestProgressShowsShareOfTotal(t *testing.T) {
	var b strings.Builder
	p := &progress{w: &b, what: "learning", total: 8192}
	p.tick(4095) // only every 4096 rows
	p.tick(4096)
	p.tick(8192) // and at most every two seconds
	if got, want := b.String(), "eval: learning: 4096 of 8192 rows (50%)\n"; got != want {
		t.Fatalf("progress %q, want %q", got, want)
	}
	b.Reset()
	p = &progress{w: &b, what: "checking"}
	p.tick(4096)
	if got, want := b.String(), "eval: checking: 4096 rows\n"; got != want {
		t.Fatalf("progress %q, want %q", got, want)
	}
}
