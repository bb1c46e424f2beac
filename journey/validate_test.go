package journey

import (
	"strings"
	"testing"

	"github.com/epiloguehq/epilogue/notify"
)

func builtinOnly(id string) bool { _, ok := notify.Builtin(id, "en"); return ok }

func TestDefaultJourneysAreValid(t *testing.T) {
	js := DefaultJourneys()
	if len(js) != 8 {
		t.Fatalf("%d default journeys", len(js))
	}
	ids := map[string]bool{}
	for _, j := range js {
		if err := Validate(j, builtinOnly); err != nil {
			t.Errorf("%s: %v", j.ID, err)
		}
		if ids[j.ID] || !strings.HasPrefix(j.ID, "jrn_") {
			t.Errorf("id %q", j.ID)
		}
		ids[j.ID] = true
	}
}

func TestValidateNamesTheField(t *testing.T) {
	base := func() *Journey {
		return &Journey{Name: "x", Trigger: Trigger{Event: "order_placed"},
			Steps: []Step{{ID: "a", Type: StepWait, Duration: 3600e9}, {ID: "b", Type: StepSend, Template: "shipped"}}}
	}
	for field, mutate := range map[string]func(j *Journey){
		"steps[1].template": func(j *Journey) { j.Steps[1].Template = "ghost" },
		"steps[0].until":    func(j *Journey) { j.Steps[0].Until = "tomorrow" },
		"steps[0].event": func(j *Journey) {
			j.Steps[0].Duration, j.Steps[0].Until, j.Steps[0].Event = 0, UntilEvent, "order_lost"
		},
		"steps[1].id":      func(j *Journey) { j.Steps[1].ID = "a" },
		"steps[1].points":  func(j *Journey) { j.Steps[1].Points = 5 },
		"steps[0]":         func(j *Journey) { j.Steps[1].Next = "a" }, // a loop
		"trigger.once_per": func(j *Journey) { j.Trigger.OncePer = "fortnight" },
		"trigger.delay":    func(j *Journey) { j.Trigger.Delay = -1 },
		"status":           func(j *Journey) { j.Status = "deleted" },
		"steps[1].event_name": func(j *Journey) {
			j.Steps[1] = Step{ID: "b", Type: StepWebhook, URL: "https://x.example", EventName: "Bad Name"}
		},
	} {
		j := base()
		j.Defaults()
		mutate(j)
		err := Validate(j, builtinOnly)
		if err == nil || !strings.Contains(err.Error(), "("+field+")") {
			t.Errorf("%s: got %v", field, err)
		}
	}
	j := base()
	j.Trigger.Event = "delivered"
	j.Defaults()
	if err := Validate(j, builtinOnly); err != nil || j.Trigger.Event != "shipment_status" || j.Trigger.Statuses[0] != "delivered" ||
		j.Trigger.OncePer != OncePerShipment || j.Steps[1].Channel != "email" {
		t.Fatalf("aliases and defaults: %v %+v", err, j)
	}
}

func TestValidateRefusesControlCharacters(t *testing.T) {
	for field, mutate := range map[string]func(j *Journey){
		"name":             func(j *Journey) { j.Name = "Ship\x00ped" },
		"name ":            func(j *Journey) { j.Name = "Ship\u0085ped" }, // C1 control (NEL)
		"steps[0].reason":  func(j *Journey) { j.Steps[0].Reason = "purchase\x1b[31m" },
		"steps[0].reason ": func(j *Journey) { j.Steps[0].Reason = "two\nlines" },
	} {
		j := &Journey{Name: "x", Trigger: Trigger{Event: "order_placed"},
			Steps: []Step{{ID: "a", Type: StepPoints, Points: 5}}}
		mutate(j)
		j.Defaults()
		err := Validate(j, builtinOnly)
		if err == nil || !strings.Contains(err.Error(), "("+strings.TrimSpace(field)+")") {
			t.Errorf("%q: got %v", field, err)
		}
	}
}
