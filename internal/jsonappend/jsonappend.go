// Package jsonappend writes JSON values by appending to a byte slice: the hand-written encoders
// of the hot paths (decision records, decision answers) share it, where reflection-driven
// encoding cost a tenth of a decision.
package jsonappend

import (
	"strconv"
	"unicode/utf8"
)

// String writes s as a JSON string: quotes, backslashes and control characters escaped,
// invalid UTF-8 replaced.
func String(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Strings writes a list of strings (null when nil).
func Strings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}

// Float writes a score or probability to six significant digits (JSON has no NaN or
// infinity: those are written as 0).
func Float(b []byte, f float64) []byte {
	if f != f || f > 1e300 || f < -1e300 {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, f, 'g', 6, 64)
}
