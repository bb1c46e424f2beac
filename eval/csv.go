// Package eval evaluates Epilogue's relevance model offline:
//
//   - OBD trains the model on the earlier part of an Open Bandit Dataset log and estimates the
//     click rate of the Thompson-sampling policy it would run on the later part (IPS, SNIPS and
//     DR, with bootstrap intervals), beside the behaviour policy's observed rate;
//   - Backtest replays any shop's click log in time order: log loss, AUC and calibration on the
//     last part, progressive validation over the whole, and the same learner without crosses
//     for comparison;
//   - GenerateClickLog writes a synthetic click log to try it on.
//
// Hyper-parameters are never chosen on a test part: the prior variance is the one with the
// least progressive log loss on the training part (an estimate of the model evidence).
package eval

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// InputError is bad input, located: the file, the line and, when one column is at fault, the
// column's number (from 1) and header name.
type InputError struct {
	File   string
	Line   int
	Column int
	Name   string
	Msg    string
}

// Error reads FILE:LINE: column N ("NAME"): message, or column N (unnamed) for a column whose
// header is empty.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	fmt.Fprintf(&b, ":%d: ", e.Line)
	if e.Column > 0 {
		b.WriteString(columnName(e.Column-1, e.Name))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// columnName names column c (0-based) with header h for people: column 3 ("color"), or
// column 1 (unnamed), as the index column pandas writes is.
func columnName(c int, h string) string {
	if h == "" {
		return fmt.Sprintf("column %d (unnamed)", c+1)
	}
	return fmt.Sprintf("column %d (%q)", c+1, h)
}

// table reads a CSV file with a header line, keeping track of lines for error messages.
type table struct {
	file   string
	r      *csv.Reader
	header []string
	line   int // line of the last record read
}

var utf8BOM = []byte("\uFEFF")

// openTable reads the header line. Two columns of one name are refused whether or not they
// are used: either could be the one meant, and features named alike would be merged.
func openTable(r io.Reader, file string) (*table, error) {
	// The byte order mark some programs write goes before the parser sees it: after it, a
	// quoted first name ("\uFEFF\"a\",…) is a bare quote to encoding/csv.
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.Comma = separator(br)
	cr.ReuseRecord = true
	t := &table{file: file, r: cr}
	h, err := cr.Read()
	if err == io.EOF {
		return nil, &InputError{File: file, Line: 1, Msg: "empty file: want a header line"}
	}
	if err != nil {
		return nil, t.csvError(err)
	}
	t.header = append([]string(nil), h...)
	t.line, _ = cr.FieldPos(len(h) - 1) // a quoted name may hold a newline
	first := map[string]int{}
	for i, name := range t.header {
		if j, dup := first[name]; dup {
			if name == "" {
				return nil, t.headerErr(i, "column %d is unnamed too: give each column a name of its own", j+1)
			}
			return nil, t.headerErr(i, "column %d has this name too: give each column a name of its own", j+1)
		}
		first[name] = i
	}
	return t, nil
}

// separator is the field separator the header line uses: spreadsheets in many locales export
// "CSV" with semicolons, and other tools write tabs. A header with a comma outside quotes is
// comma-separated; one without, semicolon- or tab-separated by whichever it holds more of.
func separator(br *bufio.Reader) rune {
	b, _ := br.Peek(br.Size())
	quoted := false
	n := map[byte]int{}
scan:
	for _, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n': // the header ends at the first newline outside quotes
			break scan
		case c == ',' || c == ';' || c == '\t':
			n[c]++
		}
	}
	switch {
	case n[','] > 0 || n[';']+n['\t'] == 0:
		return ','
	case n[';'] >= n['\t']:
		return ';'
	}
	return '\t'
}

// parseNumber parses a number as a CSV holds one: strconv.ParseFloat also reads Go's own
// syntax (0x1p4, 1_000), which in an export is a mistake, not a number.
func parseNumber(s string) (float64, error) {
	if strings.ContainsAny(s, "_xXpP") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(s, 64)
}

// column returns the index of a named column, or an error naming the header line.
func (t *table) column(name string) (int, error) {
	for i, h := range t.header {
		if h == name {
			return i, nil
		}
	}
	return 0, &InputError{File: t.file, Line: 1, Msg: fmt.Sprintf("no column %q in the header (columns: %s)", name, quoteList(t.header))}
}

// headerErr returns an InputError for column col (0-based) of the header line.
func (t *table) headerErr(col int, format string, args ...any) error {
	return &InputError{File: t.file, Line: 1, Column: col + 1, Name: t.header[col], Msg: fmt.Sprintf(format, args...)}
}

func quoteList(l []string) string {
	if len(l) > 12 {
		return quoteList(l[:12]) + fmt.Sprintf(", … %d more", len(l)-12)
	}
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// next returns the next record (valid until the following call) or io.EOF.
func (t *table) next() ([]string, error) {
	rec, err := t.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, err
		}
		return nil, t.csvError(err)
	}
	t.line, _ = t.r.FieldPos(0)
	return rec, nil
}

// errAt returns an InputError for column col (0-based) of the last record.
func (t *table) errAt(col int, format string, args ...any) error {
	return &InputError{File: t.file, Line: t.line, Column: col + 1, Name: t.header[col], Msg: fmt.Sprintf(format, args...)}
}

func (t *table) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return &InputError{File: t.file, Line: pe.StartLine, Msg: fmt.Sprintf("wrong number of fields: the header has %d", len(t.header))}
		}
		if errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line {
			// A quote never closed runs to the end of the file: the line it opened on is the one to fix.
			return &InputError{File: t.file, Line: pe.StartLine, Msg: fmt.Sprintf("a quoted field opened on this line is not closed before line %d", pe.Line)}
		}
		return &InputError{File: t.file, Line: pe.Line, Msg: fmt.Sprintf("character %d: %v", pe.Column, pe.Err)}
	}
	return fmt.Errorf("%s: %w", t.file, err)
}

// parseLabel reads a binary label.
func parseLabel(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "1.0", "true":
		return true, true
	case "0", "0.0", "false":
		return false, true
	}
	return false, false
}

// progress reports long reads on stderr, at most every couple of seconds; with a total, as a
// share of it.
type progress struct {
	w     io.Writer
	what  string
	total int // rows expected, 0 when not known yet
	last  time.Time
}

func newProgress(w io.Writer, what string) *progress {
	return &progress{w: w, what: what, last: time.Now()}
}

func (p *progress) tick(n int) {
	if p.w == nil || n%4096 != 0 {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 2*time.Second {
		p.last = now
		if p.total > 0 {
			fmt.Fprintf(p.w, "eval: %s: %d of %d rows (%d%%)\n", p.what, n, p.total, int64(n)*100/int64(p.total))
		} else {
			fmt.Fprintf(p.w, "eval: %s: %d rows\n", p.what, n)
		}
	}
}

func (p *progress) say(format string, args ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, "eval: "+format+"\n", args...)
	}
}
