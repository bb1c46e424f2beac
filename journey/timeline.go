package journey

import (
	"context"
	"sort"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Timeline is everything that happened after an order was placed, in time order: what the
// order and its shipments did, the journeys it walked, every decision and offer event, and
// every message with why it was sent, held back, expired or skipped.
type Timeline struct {
	OrderID string          `json:"order_id"`
	Entries []TimelineEntry `json:"entries"`
}

// Types of timeline entry.
const (
	EntryActivity   = "activity"
	EntryJourney    = "journey"
	EntryDecision   = "decision"
	EntryOfferEvent = "offer_event"
	EntryMessage    = "message"
)

// TimelineEntry is one line of a timeline. Kind says what happened: the activity, the journey
// event (enrolled, waiting, completed, exited), the offer event, or the message's status.
type TimelineEntry struct {
	Time         time.Time `json:"time"`
	Type         string    `json:"type"`
	Kind         string    `json:"kind"`
	Status       string    `json:"status,omitempty"`
	ShipmentID   string    `json:"shipment_id,omitempty"`
	JourneyID    string    `json:"journey_id,omitempty"`
	Journey      string    `json:"journey,omitempty"`
	EnrollmentID string    `json:"enrollment_id,omitempty"`
	DecisionID   string    `json:"decision_id,omitempty"`
	Placement    string    `json:"placement,omitempty"`
	Surface      string    `json:"surface,omitempty"`
	Arm          string    `json:"arm,omitempty"`
	Offers       []string  `json:"offers,omitempty"`
	OfferID      string    `json:"offer_id,omitempty"`
	MessageID    string    `json:"message_id,omitempty"`
	Channel      string    `json:"channel,omitempty"`
	Template     string    `json:"template,omitempty"`
	To           string    `json:"to,omitempty"`
	Subject      string    `json:"subject,omitempty"`
	Attempt      int       `json:"attempt,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Why          string    `json:"why,omitempty"`
}

// Timeline returns an order's timeline; an order nothing is known about is not_found.
func (s *Service) Timeline(ctx context.Context, shopID, orderID string) (*Timeline, error) {
	cfg, err := s.installed(ctx, shopID)
	if err != nil {
		return nil, err
	}
	st := s.c.Store
	acts, err := st.OrderActivities(ctx, shopID, orderID)
	if err != nil {
		return nil, err
	}
	ens, err := st.OrderEnrollments(ctx, shopID, orderID)
	if err != nil {
		return nil, err
	}
	decisions, err := st.DecisionsByRef(ctx, shopID, orderID)
	if err != nil {
		return nil, err
	}
	msgs, events, err := st.OrderMessages(ctx, shopID, orderID)
	if err != nil {
		return nil, err
	}
	if len(acts)+len(ens)+len(decisions)+len(msgs) == 0 {
		return nil, epilogue.NotFound("order", orderID)
	}
	t := &Timeline{OrderID: orderID, Entries: []TimelineEntry{}}
	add := func(e TimelineEntry) { t.Entries = append(t.Entries, e) }
	for _, a := range acts {
		add(TimelineEntry{Time: a.Time, Type: EntryActivity, Kind: a.Kind, Status: a.Status, ShipmentID: a.ShipmentID})
	}
	name := func(id string) string {
		if j := cfg.byID[id]; j != nil {
			return j.Name
		}
		return ""
	}
	for _, en := range ens {
		e := TimelineEntry{Time: en.CreatedAt, Type: EntryJourney, Kind: "enrolled", JourneyID: en.JourneyID, Journey: name(en.JourneyID),
			EnrollmentID: en.ID, ShipmentID: en.ShipmentID, Reason: "started by " + triggerText(en.State.Trigger)}
		add(e)
		switch {
		case en.Status != EnrollActive:
			e.Time, e.Kind, e.Reason = en.UpdatedAt, en.Status, en.Reason
			add(e)
		case en.Waiting && en.WaitEvent != "":
			e.Time, e.Kind, e.Reason = en.UpdatedAt, "waiting", "for "+en.WaitEvent+" until "+en.WakeAt.Format(time.RFC3339)
			add(e)
		case en.Waiting:
			e.Time, e.Kind, e.Reason = en.UpdatedAt, "waiting", "until "+en.WakeAt.Format(time.RFC3339)
			add(e)
		case en.WakeAt.After(en.UpdatedAt): // a trigger's delay: "7 days after delivery"
			e.Kind, e.Reason = "waiting", "until "+en.WakeAt.Format(time.RFC3339)
			add(e)
		}
	}
	byDecision := map[string]bool{}
	keys := map[string]time.Time{}
	for _, d := range decisions {
		e := TimelineEntry{Time: d.Time, Type: EntryDecision, Kind: d.Arm, DecisionID: d.ID, Placement: d.PlacementID,
			Surface: d.Surface, Arm: d.Arm, Reason: d.NoOfferReason}
		for _, o := range d.Offers {
			e.Offers = append(e.Offers, o.OfferID)
		}
		add(e)
		byDecision[d.ID] = true
		if since, ok := keys[d.CustomerKey]; d.CustomerKey != "" && (!ok || d.Time.Before(since)) {
			keys[d.CustomerKey] = d.Time
		}
	}
	// Offer events are found through the customer, whose events are indexed; those of this
	// order's decisions are kept.
	for key, since := range keys {
		evs, err := st.CustomerEvents(ctx, shopID, key, since)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if byDecision[ev.DecisionID] {
				add(TimelineEntry{Time: ev.Time, Type: EntryOfferEvent, Kind: ev.Type, DecisionID: ev.DecisionID, OfferID: ev.OfferID,
					Placement: ev.PlacementID})
			}
		}
	}
	byID := map[string]*Message{}
	told := map[string]bool{} // messages whose history has events
	for _, ev := range events {
		told[ev.MessageID] = true
	}
	for _, m := range msgs {
		byID[m.ID] = m
		if !told[m.ID] && (m.Status == MsgSkipped || m.Status == MsgFailed) {
			// Decided when it was made (no address, no consent…): it never went to the outbox.
			add(messageEntry(m, m.Status, m.CreatedAt, m.Reason))
			continue
		}
		add(messageEntry(m, MsgQueued, m.CreatedAt, ""))
	}
	for _, ev := range events {
		if m := byID[ev.MessageID]; m != nil {
			e := messageEntry(m, ev.Status, ev.Time, ev.Reason)
			e.Attempt = ev.Attempt
			add(e)
		}
	}
	sort.SliceStable(t.Entries, func(i, j int) bool { return t.Entries[i].Time.Before(t.Entries[j].Time) })
	return t, nil
}

func messageEntry(m *Message, kind string, at time.Time, reason string) TimelineEntry {
	return TimelineEntry{Time: at, Type: EntryMessage, Kind: kind, MessageID: m.ID, Channel: m.Channel, Template: m.Template,
		JourneyID: m.JourneyID, EnrollmentID: m.EnrollmentID, To: m.To, Subject: m.Subject, Reason: reason, Why: m.Why}
}
