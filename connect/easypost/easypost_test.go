package easypost_test

import (
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue/internal/shareddata"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/connect/easypost"
)

var now = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func statuses(evs []epilogue.ShipmentEvent) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Status)
	}
	return strings.Join(s, " ")
}

func TestTrackerDelivered(t *testing.T) {
	u, err := easypost.Parse("shop_a", shareddata.Payload(t, "easypost_tracker_updated_delivered.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	c := u.Shipments[0]
	s := c.Shipment
	if u.Source != "easypost" || !c.ByTracking || s.TrackingNumber != "EZ4000000004" || s.Carrier != "UPS" ||
		s.TrackingURL != "https://track.easypost.com/djE7..." || !s.EstimatedAt.Equal(time.Date(2014, 11, 27, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("tracker: %+v", c)
	}
	// The tracker's own status (delivered) is among its scans, so it adds none.
	if got := statuses(s.Events); got != "label_created in_transit in_transit in_transit out_for_delivery delivered" {
		t.Fatalf("scans: %s", got)
	}
	if e := s.Events[1]; e.RawStatus != "in_transit" || e.Message != "ORIGIN SCAN" || e.Location != "SOUTH SAN FRANCISCO, CA, US" ||
		!e.Time.Equal(time.Date(2014, 11, 21, 14, 48, 0, 0, time.UTC)) {
		t.Fatalf("scan: %+v", e)
	}
}

func TestTrackerInTransit(t *testing.T) {
	u, err := easypost.Parse("shop_a", shareddata.Payload(t, "easypost_tracker_updated_in_transit.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	s := u.Shipments[0].Shipment
	if s.TrackingNumber != "1" || s.Carrier != "FedEx" || len(s.Events) != 7 || s.Events[0].Status != epilogue.ShipLabelCreated ||
		s.Events[6].Status != epilogue.ShipInTransit {
		t.Fatalf("tracker: %+v", s)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"description":"tracker.updated"}`)
	sig := easypost.Sign(body, "s3cret")
	if !strings.HasPrefix(sig, "hmac-sha256-hex=") {
		t.Fatalf("signature %q", sig)
	}
	if err := easypost.Verify(body, sig, "s3cret"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ body, sig, secret string }{
		"wrong secret": {string(body), sig, "other"},
		"changed body": {`{}`, sig, "s3cret"},
		"missing":      {string(body), "", "s3cret"},
		"no prefix":    {string(body), strings.TrimPrefix(sig, "hmac-sha256-hex="), "s3cret"},
		"not hex":      {string(body), "hmac-sha256-hex=zz", "s3cret"},
		"short":        {string(body), "hmac-sha256-hex=abcd", "s3cret"},
		"no secret":    {string(body), sig, ""},
	} {
		if err := easypost.Verify([]byte(c.body), c.sig, c.secret); epilogue.ErrorCode(err) != epilogue.EUnauthorized {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestHostileInput(t *testing.T) {
	base := `{"description":"tracker.updated","result":{"tracking_code":"1Z","status":"in_transit","tracking_details":[{"status":"in_transit","datetime":"2024-01-01T00:00:00Z"},{"status":"delivered","datetime":"2024-01-02T00:00:00Z"}]}}`
	if _, err := easypost.Parse("s", []byte(base), now); err != nil {
		t.Fatalf("base: %v", err)
	}
	for name, c := range map[string]struct{ body, field string }{
		"truncated":        {base[:50], ""},
		"not an object":    {`"tracker"`, ""},
		"no description":   {`{"result":{}}`, "description"},
		"no result":        {`{"description":"tracker.updated"}`, "result"},
		"no tracking code": {strings.Replace(base, `"tracking_code":"1Z",`, ``, 1), "result.tracking_code"},
		"details string":   {strings.Replace(base, `"tracking_details":[`, `"tracking_details":"x","y":[`, 1), "result.tracking_details"},
		"bad datetime":     {strings.Replace(base, `"2024-01-02T00:00:00Z"`, `"tomorrow"`, 1), "result.tracking_details[1].datetime"},
		"code number":      {strings.Replace(base, `"1Z"`, `12`, 1), "result.tracking_code"},
	} {
		u, err := easypost.Parse("s", []byte(c.body), now)
		e, ok := err.(*epilogue.Error)
		if u != nil || !ok || e.Code != epilogue.EInvalid || (c.field != "" && e.Field != c.field) {
			t.Errorf("%s: got %v, %v; want invalid_request on %q", name, u, err, c.field)
		}
	}
	if _, err := easypost.Parse("s", make([]byte, 5<<20), now); epilogue.ErrorCode(err) != epilogue.ETooLarge {
		t.Errorf("huge body: %v", err)
	}
	if u, err := easypost.Parse("s", []byte(`{"description":"batch.created","result":{}}`), now); u != nil || err != nil {
		t.Errorf("other events are ignored: %v %v", u, err)
	}
	// A tracker that knows nothing yet is not a failed parcel; an unknown status is kept raw.
	u, err := easypost.Parse("s", []byte(`{"description":"tracker.created","result":{"tracking_code":"1Z","status":"unknown"}}`), now)
	if err != nil || len(u.Shipments[0].Shipment.Events) != 0 {
		t.Errorf("new tracker: %v %+v", err, u)
	}
	u, err = easypost.Parse("s", []byte(`{"description":"tracker.updated","result":{"tracking_code":"1Z","status":"lost_in_space"}}`), now)
	if err != nil || u.Shipments[0].Shipment.Events[0].Status != epilogue.ShipException || u.Shipments[0].Shipment.Events[0].RawStatus != "lost_in_space" {
		t.Errorf("unknown status: %v %+v", err, u)
	}
}

// A scan EasyPost could not classify ("unknown") is no news, and no exception: the tracker's
// known scans and status decide.
func TestUnknownScanIsNoException(t *testing.T) {
	body := `{"description":"tracker.updated","result":{"object":"Tracker","tracking_code":"EZ1","carrier":"UPS","status":"in_transit",
	 "updated_at":"2025-03-14T10:00:00Z","tracking_details":[
	  {"status":"pre_transit","message":"Label created","datetime":"2025-03-13T10:00:00Z"},
	  {"status":"unknown","message":"Carrier note","datetime":"2025-03-14T09:00:00Z"}]}}`
	u, err := easypost.Parse("shop_a", []byte(body), now)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(u.Shipments[0].Shipment.Events); got != "label_created in_transit" {
		t.Fatalf("scans: %s", got)
	}
}

// A voided label is a cancelled shipment, not a delivery problem: the apology journey, which
// follows exceptions, must not write to the customer about it.
func TestCancelledTrackerIsNoException(t *testing.T) {
	body := `{"description":"tracker.updated","result":{"object":"Tracker","tracking_code":"EZ2","carrier":"USPS","status":"cancelled",
	 "updated_at":"2025-03-14T10:00:00Z","tracking_details":[{"status":"pre_transit","message":"Label created","datetime":"2025-03-13T10:00:00Z"}]}}`
	u, err := easypost.Parse("shop_a", []byte(body), now)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(u.Shipments[0].Shipment.Events); got != "label_created cancelled" {
		t.Fatalf("scans: %s", got)
	}
}
