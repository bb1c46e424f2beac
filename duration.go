package epilogue

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in JSON as a string: Go syntax ("168h", "90m") or whole
// days ("30d").
type Duration time.Duration

// ParseDuration parses Go duration syntax or a whole number of days ("30d").
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 3650 {
			return 0, Errorf(EInvalid, "must be a duration such as \"168h\" or \"30d\", not %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, Errorf(EInvalid, "must be a non-negative duration such as \"168h\" or \"30d\", not %q", s)
	}
	return d, nil
}

// String writes the duration in Go syntax.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return FieldError(reflect.TypeFor[Duration](), "", "must be a duration string such as \"168h\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return FieldError(reflect.TypeFor[Duration](), "", err.(*Error).Message)
	}
	*d = Duration(v)
	return nil
}
