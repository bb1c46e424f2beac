package eval

import (
	"errors"
	"time"
)

// stamp is a parsed time: Unix seconds and nanoseconds, and the offset of the zone it was
// written in (for local hour of day and day of week).
type stamp struct {
	sec    int64
	nsec   int32
	offset int32 // seconds east of UTC
}

func (s stamp) before(o stamp) bool { return s.sec < o.sec || s.sec == o.sec && s.nsec < o.nsec }

// hourOfDay and weekday are those of the wall clock where the time was written.
func (s stamp) hourOfDay() int64 { return floorMod(s.sec+int64(s.offset), 86400) / 3600 }

func (s stamp) weekday() int64 { return floorMod(floorDiv(s.sec+int64(s.offset), 86400)+4, 7) } // 1970-01-01 was a Thursday

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

var errTime = errors.New(`unparsable time: want RFC 3339, "YYYY-MM-DD HH:MM[:SS[.fff]]" with an optional zone (Z, +01:00), or Unix seconds`)

// ParseTime parses a time in any form the backtest accepts: RFC 3339 ("2019-11-24T00:03:13Z"),
// "YYYY-MM-DD HH:MM[:SS[.fff]]" with an optional zone ("+00:00", "+0100", "Z"; UTC when none;
// the hour may have one digit), a bare date, or Unix seconds (with an optional fraction).
func ParseTime(s string) (time.Time, error) {
	st, err := parseTime(s)
	if err != nil {
		return time.Time{}, err
	}
	t := time.Unix(st.sec, int64(st.nsec))
	if st.offset == 0 {
		return t.UTC(), nil
	}
	return t.In(time.FixedZone("", int(st.offset))), nil
}

func parseTime(s string) (stamp, error) {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	if isUnix(s) {
		return parseUnix(s)
	}
	p := parser{s: s}
	year := p.digits(4, 4)
	p.lit('-')
	month := p.digits(2, 2)
	p.lit('-')
	day := p.digits(2, 2)
	var hour, minute, sec, nsec, offset int64
	if !p.done() {
		if c := p.peek(); c == 'T' || c == 't' || c == ' ' {
			p.i++
		} else {
			p.fail()
		}
		hour = p.digits(1, 2)
		p.lit(':')
		minute = p.digits(2, 2)
		if !p.done() && p.peek() == ':' {
			p.i++
			sec = p.digits(2, 2)
			if !p.done() && (p.peek() == '.' || p.peek() == ',') {
				p.i++
				nsec = p.fraction()
			}
		}
		if !p.done() && p.peek() == ' ' {
			p.i++
		}
		if !p.done() {
			offset = p.zone()
		}
	}
	if p.bad || !p.done() || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return stamp{}, errTime
	}
	t := time.Date(int(year), time.Month(month), int(day), int(hour), int(minute), int(sec), int(nsec), time.UTC)
	return stamp{sec: t.Unix() - offset, nsec: int32(nsec), offset: int32(offset)}, nil
}

func isUnix(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
		default:
			return false
		}
	}
	return digits > 0
}

func parseUnix(s string) (stamp, error) {
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	p := parser{s: s}
	whole := p.digits(1, 12) // up to year ~33000
	var frac int64
	if !p.done() {
		p.lit('.')
		frac = p.fraction()
	}
	if p.bad || !p.done() {
		return stamp{}, errTime
	}
	if neg {
		whole, frac = -whole, -frac
		if frac < 0 {
			whole--
			frac += 1e9
		}
	}
	return stamp{sec: whole, nsec: int32(frac)}, nil
}

// parser reads fixed-layout fields; any mismatch sets bad, and later reads return zeros.
type parser struct {
	s   string
	i   int
	bad bool
}

func (p *parser) done() bool { return p.bad || p.i >= len(p.s) }

func (p *parser) peek() byte { return p.s[p.i] }

func (p *parser) fail() { p.bad = true }

func (p *parser) lit(c byte) {
	if p.done() || p.s[p.i] != c {
		p.fail()
		return
	}
	p.i++
}

func (p *parser) digits(minN, maxN int) int64 {
	var v int64
	n := 0
	for !p.done() && n < maxN && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v = v*10 + int64(p.s[p.i]-'0')
		p.i++
		n++
	}
	if n < minN {
		p.fail()
	}
	return v
}

// fraction reads one or more digits of a fraction of a second as nanoseconds; digits past the
// ninth are dropped.
func (p *parser) fraction() int64 {
	var v int64
	n := 0
	for !p.done() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if n < 9 {
			v = v*10 + int64(p.s[p.i]-'0')
		}
		p.i++
		n++
	}
	if n == 0 {
		p.fail()
	}
	for ; n < 9; n++ {
		v *= 10
	}
	return v
}

// zone reads Z, ±HH, ±HHMM or ±HH:MM and returns the offset in seconds east of UTC.
func (p *parser) zone() int64 {
	c := p.peek()
	if c == 'Z' || c == 'z' {
		p.i++
		return 0
	}
	if c != '+' && c != '-' {
		p.fail()
		return 0
	}
	p.i++
	h := p.digits(2, 2)
	var m int64
	if !p.done() {
		if p.peek() == ':' {
			p.i++
		}
		m = p.digits(2, 2)
	}
	if h > 23 || m > 59 {
		p.fail()
	}
	off := h*3600 + m*60
	if c == '-' {
		off = -off
	}
	return off
}

func daysIn(year, month int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
