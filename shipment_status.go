package epilogue

import "strings"

// Canonical shipment statuses.
const (
	ShipLabelCreated       = "label_created"
	ShipPickedUp           = "picked_up"
	ShipInTransit          = "in_transit"
	ShipDelayed            = "delayed"
	ShipOutForDelivery     = "out_for_delivery"
	ShipAttemptFailed      = "attempt_failed"
	ShipReadyForPickup     = "ready_for_pickup"
	ShipDelivered          = "delivered"
	ShipReturningToSender  = "returning_to_sender"
	ShipException          = "exception"
	ShipExpired            = "expired"
	ShipStalledFulfillment = "stalled_fulfillment"
	ShipStalledTransit     = "stalled_transit"
	// ShipCancelled is a label voided before the parcel left: no delivery problem to apologise
	// for, and nothing more to expect of this shipment.
	ShipCancelled = "cancelled"
)

// ShipmentStatuses lists the canonical statuses.
var ShipmentStatuses = []string{ShipLabelCreated, ShipPickedUp, ShipInTransit, ShipDelayed, ShipOutForDelivery,
	ShipAttemptFailed, ShipReadyForPickup, ShipDelivered, ShipReturningToSender, ShipException, ShipExpired,
	ShipStalledFulfillment, ShipStalledTransit, ShipCancelled} // append only: a status's index is its bit in stored shipments

// statusRank orders statuses along the happy path, so a late scan never moves a shipment back:
// a shipment's status changes only to one of equal or higher rank. Problems (delayed,
// attempt_failed, exception) rank with in-transit progress so a later good scan clears them;
// terminal statuses rank highest.
var statusRank = map[string]int{
	ShipLabelCreated: 1, ShipStalledFulfillment: 1, ShipPickedUp: 2, ShipInTransit: 3, ShipDelayed: 3,
	ShipStalledTransit: 3, ShipException: 3, ShipOutForDelivery: 4, ShipAttemptFailed: 4, ShipReadyForPickup: 5,
	ShipReturningToSender: 6, ShipExpired: 6, ShipCancelled: 6, ShipDelivered: 7,
}

// StatusRank returns the status's place on the way to delivery (0 for unknown).
func StatusRank(s string) int { return statusRank[s] }

// ValidShipmentStatus reports whether s is canonical.
func ValidShipmentStatus(s string) bool { return statusRank[s] > 0 }

var crosswalk = map[string]map[string]string{
	"shopify": {
		"label_purchased": ShipLabelCreated, "label_printed": ShipLabelCreated, "confirmed": ShipLabelCreated,
		"carrier_picked_up": ShipPickedUp, "in_transit": ShipInTransit, "delayed": ShipDelayed,
		"out_for_delivery": ShipOutForDelivery, "attempted_delivery": ShipAttemptFailed,
		"ready_for_pickup": ShipReadyForPickup, "picked_up": ShipDelivered, "delivered": ShipDelivered,
		"failure": ShipException,
	},
	"easypost": {
		"pre_transit": ShipLabelCreated, "in_transit": ShipInTransit, "out_for_delivery": ShipOutForDelivery,
		"delivered": ShipDelivered, "available_for_pickup": ShipReadyForPickup, "return_to_sender": ShipReturningToSender,
		"failure": ShipException, "cancelled": ShipCancelled, "error": ShipException, "unknown": ShipException,
	},
	"aftership": {
		"inforeceived": ShipLabelCreated, "intransit": ShipInTransit, "outfordelivery": ShipOutForDelivery,
		"attemptfail": ShipAttemptFailed, "delivered": ShipDelivered, "availableforpickup": ShipReadyForPickup,
		"exception": ShipException, "expired": ShipExpired, "pending": ShipLabelCreated,
	},
}

// MapShipmentStatus maps a carrier or platform status to the canonical set. source is
// "shopify", "easypost", "aftership" or "" (try canonical, then every crosswalk). An unknown
// status maps to exception with ok false, so the caller keeps the raw status.
func MapShipmentStatus(source, raw string) (status string, ok bool) {
	r := strings.ToLower(strings.TrimSpace(raw))
	if source == "" && ValidShipmentStatus(r) {
		return r, true
	}
	if source != "" {
		if s, found := crosswalk[source][r]; found {
			return s, true
		}
		return ShipException, false
	}
	for _, src := range []string{"shopify", "easypost", "aftership"} {
		if s, found := crosswalk[src][strings.ReplaceAll(r, "_", "")]; found && src == "aftership" {
			return s, true
		} else if s, found := crosswalk[src][r]; found {
			return s, true
		}
	}
	return ShipException, false
}
