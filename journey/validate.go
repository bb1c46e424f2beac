package journey

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Limits on a journey, so a definition stays something a person can read and the scheduler
// can run in bounded time.
const (
	maxSteps       = 50
	maxJourneySize = 64 << 10
	maxWait        = 365 * 24 * time.Hour
	// defaultEventTimeout is how long a wait for an event lasts when the step names no timeout.
	defaultEventTimeout = 30 * 24 * time.Hour
)

// Trigger events a journey may start on, and the activities a wait or an exit may name.
var triggerEvents = []string{epilogue.ActivityOrderPlaced, epilogue.ActivityOrderUpdated, epilogue.ActivityOrderCancelled,
	epilogue.ActivityOrderRefunded, epilogue.ActivityShipmentCreated, epilogue.ActivityShipmentStatus,
	epilogue.ActivityReviewSubmitted, epilogue.ActivitySurveyAnswered}

// Short trigger names for shipment_status with given statuses.
var triggerAliases = map[string][]string{
	"delivered": {epilogue.ShipDelivered},
	"stalled":   {epilogue.ShipStalledFulfillment, epilogue.ShipStalledTransit},
}

// Journey statuses.
const (
	StatusActive   = epilogue.StatusActive
	StatusPaused   = epilogue.StatusPaused
	StatusArchived = epilogue.StatusArchived
)

// Once-per scopes of a trigger.
const (
	OncePerOrder    = "order"
	OncePerShipment = "shipment"
	OncePerCustomer = "customer"
	OncePerEvent    = "event"
)

var (
	stepIDPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	eventNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,99}$`)
)

// Defaults fills what a definition may leave out: status, step ids (step1, step2…), a wait's
// event timeout, a send's channel, the templates of review and survey steps.
func (j *Journey) Defaults() {
	if j.Status == "" {
		j.Status = StatusActive
	}
	if st, ok := triggerAliases[j.Trigger.Event]; ok {
		j.Trigger.Event = epilogue.ActivityShipmentStatus
		if len(j.Trigger.Statuses) == 0 {
			j.Trigger.Statuses = st
		}
	}
	if j.Trigger.OncePer == "" {
		j.Trigger.OncePer = OncePerOrder
		if j.Trigger.Event == epilogue.ActivityShipmentStatus || j.Trigger.Event == epilogue.ActivityShipmentCreated {
			j.Trigger.OncePer = OncePerShipment
		}
	}
	if j.Exit == nil {
		j.Exit = []string{}
	}
	for i := range j.Steps {
		s := &j.Steps[i]
		if s.ID == "" {
			s.ID = "step" + strconv.Itoa(i+1)
		}
		switch s.Type {
		case StepWait:
			if s.Until == UntilEvent && s.Timeout == 0 {
				s.Timeout = epilogue.Duration(defaultEventTimeout)
			}
		case StepSend, StepReviewRequest, StepSurvey:
			if s.Channel == "" {
				s.Channel = epilogue.ChannelEmail
			}
			if s.Template == "" && s.Type == StepReviewRequest {
				s.Template = "review_request"
			}
			if s.Template == "" && s.Type == StepSurvey {
				s.Template = "nps_survey"
			}
		}
	}
}

// Validate checks a journey after Defaults and names the first field at fault. templateExists
// reports whether a template id is built in or one of the shop's own.
func Validate(j *Journey, templateExists func(id string) bool) error {
	if b, err := json.Marshal(j); err != nil || len(b) > maxJourneySize {
		return epilogue.Invalid("steps", "the journey is larger than %d KB", maxJourneySize>>10)
	}
	j.Name = strings.TrimSpace(j.Name)
	if j.Name == "" || len(j.Name) > 100 || strings.ContainsAny(j.Name, "\r\n") {
		return epilogue.Invalid("name", "is required: one line of at most 100 characters")
	}
	if err := epilogue.NoControl("name", j.Name, false); err != nil {
		return err
	}
	if j.Status != StatusActive && j.Status != StatusPaused && j.Status != StatusArchived {
		return epilogue.Invalid("status", "must be active, paused or archived, not %q", j.Status)
	}
	if err := validateTrigger(&j.Trigger); err != nil {
		return epilogue.Prefix("trigger", err)
	}
	for i, x := range j.Exit {
		if err := validateEventName(x); err != nil {
			return epilogue.Invalid("exit["+strconv.Itoa(i)+"]", "%s", err.(*epilogue.Error).Message)
		}
	}
	if len(j.Steps) == 0 || len(j.Steps) > maxSteps {
		return epilogue.Invalid("steps", "must hold 1 to %d steps", maxSteps)
	}
	ids := make(map[string]int, len(j.Steps))
	for i, s := range j.Steps {
		field := "steps[" + strconv.Itoa(i) + "].id"
		if !stepIDPattern.MatchString(s.ID) || s.ID == End {
			return epilogue.Invalid(field, "must be lower-case letters, digits, _ and - (and not %q), not %q", End, s.ID)
		}
		if _, dup := ids[s.ID]; dup {
			return epilogue.Invalid(field, "step id %q is used twice", s.ID)
		}
		ids[s.ID] = i
	}
	for i := range j.Steps {
		if err := validateStep(&j.Steps[i], ids, templateExists); err != nil {
			return epilogue.Prefix("steps["+strconv.Itoa(i)+"]", err)
		}
	}
	if at, ok := findCycle(j.Steps, ids); ok {
		return epilogue.Invalid("steps["+strconv.Itoa(at)+"]", "the steps loop back to step %q: journeys must not have cycles", j.Steps[at].ID)
	}
	return nil
}

func validateTrigger(t *Trigger) error {
	if !oneOf(t.Event, triggerEvents) {
		return epilogue.Invalid("event", "unknown trigger %q; one of %s, delivered, stalled", t.Event, strings.Join(triggerEvents, ", "))
	}
	if len(t.Statuses) > 0 && t.Event != epilogue.ActivityShipmentStatus {
		return epilogue.Invalid("statuses", "only a shipment_status trigger takes statuses")
	}
	for i, s := range t.Statuses {
		if !epilogue.ValidShipmentStatus(s) {
			return epilogue.Invalid("statuses["+strconv.Itoa(i)+"]", "unknown shipment status %q; one of %v", s, epilogue.ShipmentStatuses)
		}
	}
	if t.Delay < 0 || time.Duration(t.Delay) > maxWait {
		return epilogue.Invalid("delay", "must be between 0 and 365 days")
	}
	if t.If != "" {
		if _, err := Compile(t.If); err != nil {
			return epilogue.Invalid("if", "%v", err)
		}
	}
	if !oneOf(t.OncePer, []string{OncePerOrder, OncePerShipment, OncePerCustomer, OncePerEvent}) {
		return epilogue.Invalid("once_per", "must be order, shipment, customer or event, not %q", t.OncePer)
	}
	return nil
}

// validateEventName checks "kind" or "shipment_status:status", as waits and exits name events.
func validateEventName(x string) error {
	kind, status, hasStatus := strings.Cut(x, ":")
	if !oneOf(kind, triggerEvents) {
		return epilogue.Invalid("", "unknown event %q; one of %s (shipment_status:STATUS for one status)", x, strings.Join(triggerEvents, ", "))
	}
	if hasStatus && (kind != epilogue.ActivityShipmentStatus || !epilogue.ValidShipmentStatus(status)) {
		return epilogue.Invalid("", "%q: only shipment_status takes a status, and it must be canonical", x)
	}
	return nil
}

// stepFields lists, per step type, the fields it may set besides id, type and next.
var stepFields = map[string][]string{
	StepWait:          {"duration", "until", "event", "timeout"},
	StepCondition:     {"if", "then", "else"},
	StepSend:          {"channel", "template", "transactional", "expires_after"},
	StepReviewRequest: {"channel", "template", "transactional", "expires_after"},
	StepSurvey:        {"channel", "template", "transactional", "expires_after"},
	StepOffers:        {"placement"},
	StepPoints:        {"points", "per_unit", "reason"},
	StepWebhook:       {"url", "event_name"},
}

func validateStep(s *Step, ids map[string]int, templateExists func(string) bool) error {
	allowed, ok := stepFields[s.Type]
	if !ok {
		return epilogue.Invalid("type", "unknown step type %q; one of %s", s.Type, strings.Join(StepTypes, ", "))
	}
	for name, set := range s.setFields() {
		if set && !oneOf(name, allowed) {
			return epilogue.Invalid(name, "does not apply to a %s step", s.Type)
		}
	}
	ref := func(field, id string) error {
		if id == "" || id == End {
			return nil
		}
		if _, ok := ids[id]; !ok {
			return epilogue.Invalid(field, "no step has id %q", id)
		}
		return nil
	}
	if err := ref("next", s.Next); err != nil {
		return err
	}
	switch s.Type {
	case StepWait:
		switch {
		case s.Duration < 0 || time.Duration(s.Duration) > maxWait:
			return epilogue.Invalid("duration", "must be between 0 and 365 days")
		case s.Until == "" && s.Duration == 0:
			return epilogue.Invalid("duration", "a wait needs a duration such as \"7d\", or until: event, send_window or replenish")
		case s.Until != "" && s.Duration != 0:
			return epilogue.Invalid("until", "a wait takes a duration or until, not both")
		case s.Until != "" && !oneOf(s.Until, []string{UntilEvent, UntilSendWindow, UntilReplenish}):
			return epilogue.Invalid("until", "must be event, send_window or replenish, not %q", s.Until)
		case s.Until == UntilEvent:
			if err := validateEventName(s.Event); err != nil {
				return epilogue.Invalid("event", "%s", err.(*epilogue.Error).Message)
			}
			if s.Timeout <= 0 || time.Duration(s.Timeout) > maxWait {
				return epilogue.Invalid("timeout", "must be between 1s and 365 days")
			}
		case s.Event != "" || s.Timeout != 0:
			return epilogue.Invalid("event", "only a wait until event takes an event and a timeout")
		}
	case StepCondition:
		if _, err := Compile(s.If); err != nil {
			return epilogue.Invalid("if", "%v", err)
		}
		if err := ref("then", s.Then); err != nil {
			return err
		}
		if err := ref("else", s.Else); err != nil {
			return err
		}
	case StepSend, StepReviewRequest, StepSurvey:
		if !oneOf(s.Channel, []string{epilogue.ChannelEmail, epilogue.ChannelSMS, ChannelAuto}) {
			return epilogue.Invalid("channel", "must be email, sms or auto, not %q", s.Channel)
		}
		if s.Template == "" {
			return epilogue.Invalid("template", "is required: a built-in template id such as \"shipped\" or one of the shop's")
		}
		if templateExists != nil && !templateExists(s.Template) {
			return epilogue.Invalid("template", "no template %q: use a built-in one or PUT /v1/templates/%s first", s.Template, s.Template)
		}
		if s.ExpiresAfter < 0 || time.Duration(s.ExpiresAfter) > maxWait {
			return epilogue.Invalid("expires_after", "must be between 0 and 365 days")
		}
	case StepOffers:
		if s.Placement != "" && !epilogue.ValidExternalID(s.Placement) {
			return epilogue.Invalid("placement", "must be a placement id")
		}
	case StepPoints:
		switch {
		case s.Points < 0 || s.Points > 1_000_000:
			return epilogue.Invalid("points", "must be between 0 and 1000000")
		case s.PerUnit < 0 || s.PerUnit > 1000:
			return epilogue.Invalid("per_unit", "must be between 0 and 1000")
		case s.Points > 0 && s.PerUnit > 0:
			return epilogue.Invalid("per_unit", "a points step takes points or per_unit, not both")
		case len(s.Reason) > 100:
			return epilogue.Invalid("reason", "at most 100 characters")
		}
		if err := epilogue.NoControl("reason", s.Reason, false); err != nil {
			return err
		}
	case StepWebhook:
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(s.URL) > 2048 {
			return epilogue.Invalid("url", "must be an http or https URL without credentials")
		}
		if s.EventName != "" && !eventNamePattern.MatchString(s.EventName) {
			return epilogue.Invalid("event_name", "must be lower-case letters, digits, dots, _ and -")
		}
	}
	return nil
}

// setFields reports which type-specific fields a step sets.
func (s *Step) setFields() map[string]bool {
	return map[string]bool{
		"duration": s.Duration != 0, "until": s.Until != "", "event": s.Event != "", "timeout": s.Timeout != 0,
		"if": s.If != "", "then": s.Then != "", "else": s.Else != "",
		"channel": s.Channel != "", "template": s.Template != "", "transactional": s.Transactional != nil,
		"expires_after": s.ExpiresAfter != 0, "placement": s.Placement != "",
		"points": s.Points != 0, "per_unit": s.PerUnit != 0, "reason": s.Reason != "",
		"url": s.URL != "", "event_name": s.EventName != "",
	}
}

// successors returns the steps a step may lead to (End excluded).
func successors(steps []Step, ids map[string]int, i int) []int {
	s := &steps[i]
	follow := func(id string) (int, bool) {
		switch id {
		case End:
			return 0, false
		case "":
			return i + 1, i+1 < len(steps)
		}
		n, ok := ids[id]
		return n, ok
	}
	var out []int
	if s.Type == StepCondition {
		then := s.Then
		if then == "" {
			then = s.Next
		}
		if n, ok := follow(then); ok {
			out = append(out, n)
		}
		if s.Else != "" {
			if n, ok := follow(s.Else); ok {
				out = append(out, n)
			}
		}
		return out
	}
	if n, ok := follow(s.Next); ok {
		out = append(out, n)
	}
	return out
}

// findCycle returns a step on a cycle, if the steps have one.
func findCycle(steps []Step, ids map[string]int) (int, bool) {
	const (
		unseen = iota
		open
		done
	)
	state := make([]int, len(steps))
	var visit func(i int) (int, bool)
	visit = func(i int) (int, bool) {
		state[i] = open
		for _, n := range successors(steps, ids, i) {
			switch state[n] {
			case open:
				return n, true
			case unseen:
				if at, ok := visit(n); ok {
					return at, true
				}
			}
		}
		state[i] = done
		return 0, false
	}
	for i := range steps {
		if state[i] == unseen {
			if at, ok := visit(i); ok {
				return at, true
			}
		}
	}
	return 0, false
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
