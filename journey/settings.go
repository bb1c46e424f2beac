package journey

import (
	"fmt"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Settings are a shop's messaging rules, read and changed through /v1/messaging.
type Settings struct {
	// SMS sends order and shipping updates by text to customers who agreed to texts (channel
	// "auto"); without it every update goes by email.
	SMS bool `json:"sms_enabled"`
	// QuietHours, in the customer's local time, hold back marketing until they end.
	QuietHours QuietHours `json:"quiet_hours"`
	// Attention is the per-customer budget of marketing messages and partner offers.
	Attention Budget `json:"attention_budget"`
	// MarketingOptIn makes marketing email wait for an explicit yes (consent.email true), as
	// GDPR asks; otherwise only an explicit no stops it.
	MarketingOptIn bool         `json:"marketing_email_opt_in"`
	Loyalty        LoyaltyRates `json:"loyalty"`
}

// QuietHours is a daily local-time window, "21:00" to "08:00"; equal ends mean none.
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Budget is how many marketing messages and on-page partner offers one customer may get.
type Budget struct {
	PerDay  int `json:"per_day"`  // in any 24 hours
	PerWeek int `json:"per_week"` // in any 7 days
}

// LoyaltyRates are the points a customer earns; zero turns an earning off.
type LoyaltyRates struct {
	PerUnit int `json:"points_per_unit"` // per currency unit of an order's total
	Review  int `json:"review"`
	Survey  int `json:"survey"`
}

// DefaultSettings are a new shop's messaging rules: email only, quiet from 21:00 to 08:00, one
// marketing message a day and three a week, no loyalty program.
func DefaultSettings() Settings {
	return Settings{
		QuietHours: QuietHours{Start: "21:00", End: "08:00"},
		Attention:  DefaultBudget(),
	}
}

// DefaultBudget is the attention budget of a shop that set none.
func DefaultBudget() Budget { return Budget{PerDay: 1, PerWeek: 3} }

// maxBudget keeps Attention's per-customer memory small.
const maxBudget = 50

// Validate checks the settings and names the first field at fault.
func (s *Settings) Validate() error {
	if _, err := s.QuietHours.parse(); err != nil {
		return epilogue.Prefix("quiet_hours", err)
	}
	if s.Attention.PerDay < 0 || s.Attention.PerDay > maxBudget {
		return epilogue.Invalid("attention_budget.per_day", "must be between 0 and %d", maxBudget)
	}
	if s.Attention.PerWeek < s.Attention.PerDay || s.Attention.PerWeek > maxBudget {
		return epilogue.Invalid("attention_budget.per_week", "must be between per_day and %d", maxBudget)
	}
	for _, r := range []struct {
		field string
		v     int
	}{{"loyalty.points_per_unit", s.Loyalty.PerUnit}, {"loyalty.review", s.Loyalty.Review}, {"loyalty.survey", s.Loyalty.Survey}} {
		if r.v < 0 || r.v > 100_000 {
			return epilogue.Invalid(r.field, "must be between 0 and 100000")
		}
	}
	return nil
}

// window is quiet hours as minutes after local midnight.
type window struct {
	start, end int
	none       bool
}

func (q QuietHours) parse() (window, error) {
	if q.Start == "" && q.End == "" {
		return window{none: true}, nil
	}
	var w window
	for _, p := range []struct {
		field string
		v     string
		dst   *int
	}{{"start", q.Start, &w.start}, {"end", q.End, &w.end}} {
		t, err := time.Parse("15:04", p.v)
		if err != nil {
			return w, epilogue.Invalid(p.field, "must be a local time such as \"21:00\", not %q", p.v)
		}
		*p.dst = t.Hour()*60 + t.Minute()
	}
	w.none = w.start == w.end
	return w, nil
}

// QuietUntil returns the end of the quiet hours that t falls in, in loc, or t itself when t is
// outside them.
func (q QuietHours) QuietUntil(t time.Time, loc *time.Location) time.Time {
	w, err := q.parse()
	if err != nil || w.none {
		return t
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	var quiet bool
	if w.start < w.end {
		quiet = m >= w.start && m < w.end
	} else { // across midnight
		quiet = m >= w.start || m < w.end
	}
	if !quiet {
		return t
	}
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	if m >= w.end {
		day = day.AddDate(0, 0, 1)
	}
	// Adding hours and minutes to local midnight keeps a DST change day right.
	return time.Date(day.Year(), day.Month(), day.Day(), w.end/60, w.end%60, 0, 0, loc)
}

// String shows the window, for reasons on the timeline.
func (q QuietHours) String() string { return fmt.Sprintf("%s–%s", q.Start, q.End) }

// location returns the customer's time zone, else the shop's, else UTC.
func location(c *epilogue.Customer, shop *epilogue.Shop) *time.Location {
	if c != nil && c.Timezone != "" {
		if loc, err := time.LoadLocation(c.Timezone); err == nil {
			return loc
		}
	}
	if shop != nil {
		return shop.Settings.Location()
	}
	return time.UTC
}
