package journey

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

// staleAfter is how late a journey may start: news older than this (an activity log replayed
// into a new install, a scheduler down for days) is not sent.
const staleAfter = 48 * time.Hour

// intake reads the next activities and turns them into enrollments: new ones for the journeys
// they trigger, exits for enrollments they end, wakes for enrollments waiting on them. New
// enrollments run their first steps at once, so an order confirmation needs one commit. It
// all commits with the cursor move, or not at all.
func (s *Scheduler) intake(ctx context.Context) (int, error) {
	from, err := s.c.Store.Cursor(ctx, cursorActivities)
	if err != nil {
		return 0, err
	}
	acts, last, err := s.c.Store.ActivitiesAfter(ctx, from, s.c.Batch)
	if err != nil || len(acts) == 0 {
		return 0, err
	}
	now := s.c.Clock.Now().UTC()
	b := &Batch{Cursor: &CursorMove{Name: cursorActivities, From: from, To: last}, Now: now}
	// Enrollments this batch started, by order, so a later activity of the batch can end or
	// wake them before they are stored.
	started := map[string][]*Run{}
	for _, a := range acts {
		cfg, err := s.c.Shops.get(ctx, a.ShopID, s.c.From)
		if err != nil {
			return 0, err
		}
		if err := s.react(ctx, cfg, a, b, started[a.ShopID+"\x00"+a.OrderID], now); err != nil {
			return 0, err
		}
		shared := &records{}
		for _, j := range cfg.triggers[a.Kind] {
			if !triggers(j, a) || a.Time.Add(time.Duration(j.Trigger.Delay)).Before(now.Add(-staleAfter)) {
				continue
			}
			r := &Run{Enrollment: newEnrollment(j, a, now)}
			x := s.subject(ctx, a.ShopID, r.Enrollment)
			x.records = shared
			if j.Trigger.If != "" {
				e := cfg.exprs[j.ID+"/trigger"]
				ok := e != nil && e.Eval(x.vars(e))
				if x.err != nil {
					return 0, x.err // the batch is read again later
				}
				if !ok {
					continue
				}
			}
			if !r.Enrollment.WakeAt.After(now) {
				s.advance(ctx, cfg, r, x, now)
			}
			b.Enroll = append(b.Enroll, r)
			if a.OrderID != "" {
				k := a.ShopID + "\x00" + a.OrderID
				started[k] = append(started[k], r)
			}
		}
	}
	if err := s.c.Store.CommitBatch(ctx, b); err != nil {
		if epilogue.ErrorCode(err) == epilogue.EConflict {
			return 0, nil // another replica took these activities first
		}
		return 0, err
	}
	s.nudge()
	return len(acts), nil
}

// react ends or wakes the enrollments of an activity's order: stored ones, and ones this batch
// started.
func (s *Scheduler) react(ctx context.Context, cfg *shopConfig, a *epilogue.Activity, b *Batch, started []*Run, now time.Time) error {
	if a.OrderID == "" || a.Kind == epilogue.ActivityOrderPlaced {
		return nil // nothing can wait on an order before it is placed
	}
	// Completed enrollments are read too: an exit event must also stop the message a finished
	// journey left waiting (a review request deferred by quiet hours, then a refund).
	stored, err := s.c.Store.OpenEnrollments(ctx, a.ShopID, a.OrderID)
	if err != nil {
		return err
	}
	for _, en := range stored {
		if ended(b, en.ID) {
			continue
		}
		j := cfg.byID[en.JourneyID]
		switch {
		case j != nil && exitsOn(j.Exit, a):
			b.Exits = append(b.Exits, Exit{ShopID: en.ShopID, EnrollmentID: en.ID, Reason: "exit: " + eventName(a)})
		case en.Waiting && en.WaitEvent != "" && matchesEvent(en.WaitEvent, a):
			b.Wakes = append(b.Wakes, Wake{ShopID: en.ShopID, EnrollmentID: en.ID, At: a.Time})
		}
	}
	for _, r := range started {
		en := r.Enrollment
		if en.Status != EnrollActive {
			continue
		}
		j := cfg.byID[en.JourneyID]
		switch {
		case j != nil && exitsOn(j.Exit, a):
			r.exit("exit: "+eventName(a), now)
		case en.Waiting && en.WaitEvent != "" && matchesEvent(en.WaitEvent, a):
			en.WakeAt, en.WaitEvent = a.Time, ""
			if !a.Time.After(now) {
				s.advance(ctx, cfg, r, s.subject(ctx, a.ShopID, en), now)
			}
		}
	}
	return nil
}

func ended(b *Batch, id string) bool {
	for _, x := range b.Exits {
		if x.EnrollmentID == id {
			return true
		}
	}
	return false
}

// triggers reports whether an activity starts the journey.
func triggers(j *Journey, a *epilogue.Activity) bool {
	return a.Kind == j.Trigger.Event && (len(j.Trigger.Statuses) == 0 || oneOf(a.Status, j.Trigger.Statuses))
}

// exitsOn reports whether an activity is one of the exit events.
func exitsOn(exits []string, a *epilogue.Activity) bool {
	for _, x := range exits {
		if matchesEvent(x, a) {
			return true
		}
	}
	return false
}

// matchesEvent reports whether an activity is the event "kind" or "kind:status".
func matchesEvent(event string, a *epilogue.Activity) bool {
	kind, status, hasStatus := strings.Cut(event, ":")
	return a.Kind == kind && (!hasStatus || a.Status == status)
}

// eventName names an activity as events are written: "order_refunded", "shipment_status:delivered".
func eventName(a *epilogue.Activity) string {
	if a.Status != "" {
		return a.Kind + ":" + a.Status
	}
	return a.Kind
}

// newEnrollment starts an enrollment of a journey for an activity, due when the trigger's
// delay has passed since the activity.
func newEnrollment(j *Journey, a *epilogue.Activity, now time.Time) *Enrollment {
	subject := "event:" + strconv.FormatInt(a.Seq, 10)
	switch {
	case j.Trigger.OncePer == OncePerShipment && a.ShipmentID != "":
		subject = "shipment:" + a.ShipmentID
	case j.Trigger.OncePer == OncePerCustomer && a.CustomerID != "":
		subject = "customer:" + a.CustomerID
	case j.Trigger.OncePer != OncePerEvent && a.OrderID != "":
		subject = "order:" + a.OrderID
	}
	first := ""
	if len(j.Steps) > 0 {
		first = j.Steps[0].ID
	}
	at := a.Time.UTC()
	return &Enrollment{
		ID: stableID("enr_", a.ShopID, j.ID, subject), ShopID: a.ShopID, JourneyID: j.ID, Subject: subject,
		OrderID: a.OrderID, ShipmentID: a.ShipmentID, CustomerID: a.CustomerID,
		Status: EnrollActive, Step: first, WakeAt: at.Add(time.Duration(j.Trigger.Delay)),
		State:     State{Trigger: TriggerInfo{Seq: a.Seq, Kind: a.Kind, Status: a.Status, Time: at, Data: keep(a.Data, shipmentKeys)}},
		CreatedAt: now, UpdatedAt: now,
	}
}

func (s *Scheduler) subject(ctx context.Context, shopID string, en *Enrollment) *subject {
	return &subject{ctx: ctx, store: s.c.Store, orders: s.c.Orders, shopID: shopID, en: en, records: &records{}}
}

// shipmentKeys are the activity data a message may show when no shipment can be read.
var shipmentKeys = []string{"carrier", "tracking_number", "tracking_url"}

// keep returns the entries of m under the given keys, or nil.
func keep(m map[string]string, keys []string) map[string]string {
	var out map[string]string
	for _, k := range keys {
		if v, ok := m[k]; ok && v != "" && len(v) <= 512 {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
