package eval

import (
	"slices"
	"strings"
	"testing"
)

// Semicolon- and tab-separated exports are read as such, decided by the header line alone.
func TestTableDetectsTheSeparator(t *testing.T) {
	for in, want := range map[string][]string{
		"a,b,click\nx;1,y,0\n":       {"x;1", "y", "0"},
		"a;b;click\r\nx,1;y;0\r\n":   {"x,1", "y", "0"},
		"a\tb\tclick\nx;1\ty\t0\n":   {"x;1", "y", "0"},
		"\"a,b\";c;click\nx;y;1\n":   {"x", "y", "1"},
		"\uFEFFa;b;click\nx;y;1\n":   {"x", "y", "1"},
		"click\n1\n":                 {"1"},
		"\"a;b\",c\tclick\nx,y\tz\n": {"x", "y\tz"},   // a comma outside quotes: comma-separated
		"\"a\nb\";c;click\nx;y;1\n":  {"x", "y", "1"}, // the header's line ends outside quotes
	} {
		tb, err := openTable(strings.NewReader(in), "f.csv")
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		rec, err := tb.next()
		if err != nil || !slices.Equal(rec, want) {
			t.Errorf("%q: header %q, first row %q (%v), want %q", in, tb.header, rec, err, want)
		}
	}
}
