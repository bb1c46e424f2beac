package eval

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	for _, c := range []struct {
		in     string
		want   time.Time
		offset int
	}{
		{"2019-11-24T00:03:13Z", utc(2019, 11, 24, 0, 3, 13, 0), 0},
		{"2019-11-24T00:03:13.5+01:00", utc(2019, 11, 23, 23, 3, 13, 5e8), 3600},
		{"2019-11-24 00:03:13.442536+00:00", utc(2019, 11, 24, 0, 3, 13, 442536000), 0},
		{"2019-11-24 00:03:13", utc(2019, 11, 24, 0, 3, 13, 0), 0},
		{"2019-11-24 00:03", utc(2019, 11, 24, 0, 3, 0, 0), 0},
		{"2019-11-24 7:05", utc(2019, 11, 24, 7, 5, 0, 0), 0},
		{"2019-11-24 7:05:09 -0530", utc(2019, 11, 24, 12, 35, 9, 0), -19800},
		{"2019-11-24t07:05:09z", utc(2019, 11, 24, 7, 5, 9, 0), 0},
		{"2019-11-24T07:05:09-03", utc(2019, 11, 24, 10, 5, 9, 0), -10800},
		{"2024-02-29", utc(2024, 2, 29, 0, 0, 0, 0), 0},
		{"2019-11-24T00:03:13.1234567891Z", utc(2019, 11, 24, 0, 3, 13, 123456789), 0},
		{" 2019-11-24 00:03:13 ", utc(2019, 11, 24, 0, 3, 13, 0), 0},
		{"1574553793", utc(2019, 11, 24, 0, 3, 13, 0), 0},
		{"1574553793.25", utc(2019, 11, 24, 0, 3, 13, 25e7), 0},
		{"-1.5", utc(1969, 12, 31, 23, 59, 58, 5e8), 0},
		{"0", utc(1970, 1, 1, 0, 0, 0, 0), 0},
	} {
		got, err := ParseTime(c.in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", c.in, err)
			continue
		}
		if !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, want %v", c.in, got, c.want)
		}
		if _, off := got.Zone(); off != c.offset {
			t.Errorf("ParseTime(%q) offset %d, want %d", c.in, off, c.offset)
		}
	}
	for _, in := range []string{"", "yesterday", "2019-13-01", "2019-02-29", "2019-11-31 00:00", "2019-11-24 24:00",
		"2019-11-24 00:60", "2019-11-24 00:00:60", "2019-11-24 00", "2019-11-24T", "2019-11-24 00:00:00.", "2019-11-24 00:00 UTC",
		"2019-11-24 00:00+25:00", "19-11-24", "2019/11/24", "1.2.3", "12345678901234", "2019-11-24 00:00:00+01:0", "--1", "."} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) succeeded, want an error", in)
		}
	}
}

func TestStampLocalFields(t *testing.T) {
	// Sunday 2019-11-24 00:30 in UTC is Saturday 23:30 at -01:00.
	s, err := parseTime("2019-11-23 23:30-01:00")
	if err != nil {
		t.Fatal(err)
	}
	if s.hourOfDay() != 23 || s.weekday() != int64(time.Saturday) {
		t.Fatalf("hour %d weekday %d, want 23 and Saturday", s.hourOfDay(), s.weekday())
	}
	s, _ = parseTime("-1")
	if s.hourOfDay() != 23 || s.weekday() != int64(time.Wednesday) {
		t.Fatalf("before the epoch: hour %d weekday %d", s.hourOfDay(), s.weekday())
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2019-11-24T00:03:13Z", "2019-11-24 0:03:13.442536+00:00", "1574553793.5", "-3", "2024-02-29", "2019-11-24 7:05:09 -0530"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := parseTime(s)
		if err != nil {
			if !strings.Contains(err.Error(), "unparsable time") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if st.nsec < 0 || st.nsec >= 1e9 || st.offset <= -86400 || st.offset >= 86400 {
			t.Fatalf("parseTime(%q) = %+v", s, st)
		}
		if h := st.hourOfDay(); h < 0 || h > 23 {
			t.Fatalf("hour %d", h)
		}
		if d := st.weekday(); d < 0 || d > 6 {
			t.Fatalf("weekday %d", d)
		}
	})
}
