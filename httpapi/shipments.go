package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/track"
)

type scanIn struct {
	Status   string `json:"status"`
	Time     string `json:"time"`
	Message  string `json:"message"`
	Location string `json:"location"`
}

type shipmentIn struct {
	ID             string   `json:"id"`
	OrderID        string   `json:"order_id"`
	Carrier        string   `json:"carrier"`
	TrackingNumber string   `json:"tracking_number"`
	TrackingURL    string   `json:"tracking_url"`
	Estimated      string   `json:"estimated_delivery"`
	Events         []scanIn `json:"events"`
}

// createShipment creates or updates a shipment under the shop's own id; events may come with it.
func (s *Server) createShipment(w http.ResponseWriter, r *http.Request) {
	var in shipmentIn
	if err := decode(w, r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.clock.Now().UTC()
	sh := epilogue.Shipment{ID: in.ID, OrderID: in.OrderID, Carrier: strings.TrimSpace(in.Carrier),
		TrackingNumber: strings.TrimSpace(in.TrackingNumber), TrackingURL: strings.TrimSpace(in.TrackingURL)}
	if in.OrderID == "" {
		s.fail(w, r, epilogue.Invalid("order_id", "is required"))
		return
	}
	if in.Estimated != "" {
		t, err := time.Parse(time.RFC3339Nano, in.Estimated)
		if err != nil {
			s.fail(w, r, epilogue.Invalid("estimated_delivery", "must be an RFC 3339 time"))
			return
		}
		sh.EstimatedAt = &t
	}
	for i, e := range in.Events {
		ev, err := e.event(now)
		if err != nil {
			s.fail(w, r, epilogue.Prefix("events["+strconv.Itoa(i)+"]", err))
			return
		}
		sh.Events = append(sh.Events, ev)
	}
	if err := track.ValidateShipment(&sh, false, now); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.ingest(r.Context(), &track.Update{ShopID: shopID(r), Source: track.SourceAPI, ReceivedAt: now,
		Shipments: []track.ShipmentChange{{Shipment: sh}}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sr := res.Shipments[0]
	writeJSON(w, createdOr(sr.Status), sr)
}

// event reads one scan: a canonical status, or a carrier's or platform's status that is mapped
// (an unknown one is an exception, with the raw status kept).
func (e scanIn) event(now time.Time) (epilogue.ShipmentEvent, error) {
	raw := strings.TrimSpace(e.Status)
	if raw == "" {
		return epilogue.ShipmentEvent{}, epilogue.Invalid("status", "is required")
	}
	at, err := apiTime("time", e.Time, now)
	if err != nil {
		return epilogue.ShipmentEvent{}, err
	}
	st, _ := epilogue.MapShipmentStatus("", raw)
	ev := epilogue.ShipmentEvent{Status: st, Source: track.SourceAPI, Message: strings.TrimSpace(e.Message),
		Location: strings.TrimSpace(e.Location), Time: at}
	if st != raw {
		ev.RawStatus = raw
	}
	return ev, nil
}

// createShipmentEvent adds one scan to a shipment's timeline: "created" when it is new,
// "unchanged" when the same scan was sent before.
func (s *Server) createShipmentEvent(w http.ResponseWriter, r *http.Request) {
	var in scanIn
	if err := decode(w, r, &in, true); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.clock.Now().UTC()
	ev, err := in.event(now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := &track.Update{ShopID: shopID(r), Source: track.SourceAPI, ReceivedAt: now, Shipments: []track.ShipmentChange{{MustExist: true,
		Shipment: epilogue.Shipment{ID: r.PathValue("id"), Events: []epilogue.ShipmentEvent{ev}}}}}
	if err := u.Validate(); err != nil {
		s.fail(w, r, stripPrefix(stripPrefix(err, "shipments[0].events[0]."), "shipments[0]."))
		return
	}
	res, err := s.ingest(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sr := res.Shipments[0]
	status := track.Unchanged
	if sr.NewEvents > 0 {
		status = track.Created
	}
	writeJSON(w, createdOr(status), map[string]any{"shipment_id": sr.ID, "status": status, "shipment_status": sr.ShipmentStatus,
		"event": ev})
}

func (s *Server) getShipment(w http.ResponseWriter, r *http.Request) {
	sh, err := s.orders.Shipment(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sh)
}

// listOrderShipments lists an order's shipments. An unknown order is 404, as GET /v1/orders/{id}
// answers, unless shipments name it already: they may come before their order (webhooks race)
// and are shown rather than hidden until it arrives.
func (s *Server) listOrderShipments(w http.ResponseWriter, r *http.Request) {
	ss, err := s.orders.OrderShipments(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(ss) == 0 {
		if _, err := s.orders.Order(r.Context(), shopID(r), r.PathValue("id")); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, page(r, ss, ""))
}
