package eval

import (
	"errors"
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

// Numbers are read as a CSV writes them: Go's own syntax (hex floats, digit separators) is an
// export mistake, refused; and a quote never closed is reported at the line it opened on.
func TestTableNumbersAndOpenQuotes(t *testing.T) {
	for _, s := range []string{"0x1p4", "1_000", "0.0_3", "0X10"} {
		if _, err := parseNumber(s); err == nil {
			t.Errorf("%q read as a number", s)
		}
	}
	for _, s := range []string{"16", "-1.5", "2e3", " 7"[1:]} {
		if _, err := parseNumber(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	tb, err := openTable(strings.NewReader("a,click\nx,1\n\"y,0\nz,1\nw,0\n"), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for last == nil {
		_, last = tb.next()
	}
	var ie *InputError
	if !errors.As(last, &ie) || ie.Line != 3 {
		t.Fatalf("open quote: %v, want line 3", last)
	}
}
