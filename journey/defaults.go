package journey

import (
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// transactionalTemplates are the order and shipping updates: they go whatever the attention
// budget, quiet hours or holdout say, and their unsubscribe link stops marketing only.
var transactionalTemplates = map[string]bool{
	notify.TemplateOrderConfirmation: true, notify.TemplateShipped: true, notify.TemplateOutForDelivery: true,
	notify.TemplateDelivered: true, notify.TemplateDelayApology: true,
}

// DefaultJourneys are the journeys every shop starts with, enabled; a shop can pause or edit
// them. Their ids are fixed, so installing them twice changes nothing.
func DefaultJourneys() []*Journey {
	ship := epilogue.ActivityShipmentStatus
	cancelled, refunded := epilogue.ActivityOrderCancelled, epilogue.ActivityOrderRefunded
	send := func(template string) Step {
		return Step{ID: "send", Type: StepSend, Channel: ChannelAuto, Template: template}
	}
	days := func(n int) epilogue.Duration { return epilogue.Duration(time.Duration(n) * 24 * time.Hour) }
	js := []*Journey{
		{ID: "jrn_order_confirmation", Name: "Order confirmation",
			Trigger: Trigger{Event: epilogue.ActivityOrderPlaced},
			// Points first, so the confirmation can say what the order earned; offers before
			// the send, which shows them (the email stays transactional).
			Steps: []Step{{ID: "points", Type: StepPoints, Reason: "purchase"}, {ID: "offers", Type: StepOffers},
				send(notify.TemplateOrderConfirmation)},
			Exit: []string{cancelled}},
		{ID: "jrn_shipped", Name: "Shipped",
			Trigger: Trigger{Event: ship, Statuses: []string{epilogue.ShipPickedUp, epilogue.ShipInTransit}},
			Steps:   []Step{{ID: "offers", Type: StepOffers}, send(notify.TemplateShipped)},
			Exit:    []string{cancelled}},
		{ID: "jrn_out_for_delivery", Name: "Out for delivery",
			Trigger: Trigger{Event: ship, Statuses: []string{epilogue.ShipOutForDelivery}},
			Steps:   []Step{send(notify.TemplateOutForDelivery)}, Exit: []string{cancelled}},
		{ID: "jrn_delivered", Name: "Delivered",
			Trigger: Trigger{Event: ship, Statuses: []string{epilogue.ShipDelivered}},
			Steps:   []Step{send(notify.TemplateDelivered)}, Exit: []string{cancelled}},
		{ID: "jrn_delay_apology", Name: "Delay or exception apology",
			// Once per shipment: a parcel that is delayed and then misdelivered gets one apology.
			Trigger: Trigger{Event: ship, Statuses: []string{epilogue.ShipDelayed, epilogue.ShipAttemptFailed,
				epilogue.ShipException, epilogue.ShipStalledFulfillment, epilogue.ShipStalledTransit}},
			Steps: []Step{send(notify.TemplateDelayApology)}, Exit: []string{cancelled}},
		{ID: "jrn_review_request", Name: "Review request",
			Trigger: Trigger{Event: ship, Statuses: []string{epilogue.ShipDelivered}, Delay: days(7), OncePer: OncePerOrder},
			Steps:   []Step{{ID: "review", Type: StepReviewRequest, ExpiresAfter: days(7)}},
			Exit:    []string{refunded, cancelled, epilogue.ActivityReviewSubmitted, ship + ":" + epilogue.ShipReturningToSender}},
		{ID: "jrn_nps", Name: "NPS survey",
			Trigger: Trigger{Event: ship, Statuses: []string{epilogue.ShipDelivered}, Delay: days(14), OncePer: OncePerOrder},
			Steps:   []Step{{ID: "survey", Type: StepSurvey, ExpiresAfter: days(7)}},
			Exit:    []string{refunded, cancelled, epilogue.ActivitySurveyAnswered}},
		{ID: "jrn_replenishment", Name: "Replenishment",
			Trigger: Trigger{Event: epilogue.ActivityOrderPlaced, If: "order.replenishable"},
			Steps: []Step{{ID: "wait", Type: StepWait, Until: UntilReplenish},
				{ID: "send", Type: StepSend, Channel: epilogue.ChannelEmail, Template: notify.TemplateReplenishment, ExpiresAfter: days(14)}},
			Exit: []string{refunded, cancelled}},
	}
	for _, j := range js {
		j.Defaults()
	}
	return js
}
