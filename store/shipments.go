package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/track"
)

// shipmentState is a stored shipment as applying an update sees it.
type shipmentState struct {
	orderID, carrier, tracking, url string
	estimated                       sql.NullInt64
	status                          string
	statusAt                        sql.NullInt64
	reached                         int64
	watch                           sql.NullInt64
	createdAt                       int64
	fieldsAt                        int64 // the source's time of the details (see ShipmentChange.Version)
}

func (b *batch) shipmentState(shopID, id string) (shipmentState, bool, error) {
	var s shipmentState
	err := b.queryRow("ShipmentState", shopID, id).Scan(&s.orderID, &s.carrier, &s.tracking, &s.url,
		&s.estimated, &s.status, &s.statusAt, &s.reached, &s.watch, &s.createdAt, &s.fieldsAt)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	return s, err == nil, wrap("ShipmentState", err)
}

// statusBit is a canonical status's bit in shipments.reached.
func statusBit(status string) int64 {
	if i := slices.Index(epilogue.ShipmentStatuses, status); i >= 0 {
		return 1 << i
	}
	return 0
}

// watchable statuses are those of a parcel on its way, which should see scans; a delivered,
// returning, expired or failed parcel, or one waiting at a pickup point, is not expected to.
var watchable = map[string]bool{"": true, epilogue.ShipLabelCreated: true, epilogue.ShipPickedUp: true,
	epilogue.ShipInTransit: true, epilogue.ShipDelayed: true, epilogue.ShipOutForDelivery: true, epilogue.ShipAttemptFailed: true}

// moves reports whether an event sets the shipment's status: a higher rank always does, an
// equal rank when it is not older, a lower rank never (a late in_transit after delivered stays
// history).
func moves(e *epilogue.ShipmentEvent, status string, at sql.NullInt64) bool {
	r, c := epilogue.StatusRank(e.Status), epilogue.StatusRank(status)
	return r > c || (r == c && (!at.Valid || micros(e.Time) >= at.Int64))
}

// applyShipment applies one shipment change, to one shipment or, by tracking number, to each
// that has it.
func (b *batch) applyShipment(u *track.Update, ch *track.ShipmentChange) ([]track.ShipmentResult, error) {
	if !ch.ByTracking {
		r, err := b.applyShipmentTo(u, ch, ch.Shipment.ID)
		return []track.ShipmentResult{r}, err
	}
	rows, err := b.query("ShipmentsByTracking", u.ShopID, ch.Shipment.TrackingNumber)
	if err != nil {
		return nil, wrap("ShipmentsByTracking", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrap("ShipmentsByTracking", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("ShipmentsByTracking", err)
	}
	if len(ids) == 0 {
		return []track.ShipmentResult{{Status: track.Ignored}}, nil
	}
	var rs []track.ShipmentResult
	for _, id := range ids {
		r, err := b.applyShipmentTo(u, ch, id)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// applyShipmentTo merges a change into one shipment: fields it carries replace stored ones, new
// events join the timeline, the status moves only forward (StatusRank), and the first time the
// shipment reaches the status it ends at is news for the journey engine.
func (b *batch) applyShipmentTo(u *track.Update, ch *track.ShipmentChange, id string) (track.ShipmentResult, error) {
	in := &ch.Shipment
	now := u.ReceivedAt.UTC()
	cur, found, err := b.shipmentState(u.ShopID, id)
	if err != nil {
		return track.ShipmentResult{}, err
	}
	if !found && (ch.MustExist || ch.ByTracking) {
		return track.ShipmentResult{}, epilogue.NotFound("shipment", id)
	}
	next := cur
	if !found {
		next = shipmentState{createdAt: micros(now)}
	}
	// Details older than those stored (an earlier version of a fulfillment, arriving late) do
	// not replace them; its scans still join the timeline.
	version := micros(ch.Version)
	if ch.Version.IsZero() || version >= cur.fieldsAt || !found {
		for _, f := range []struct {
			dst *string
			v   string
		}{{&next.orderID, in.OrderID}, {&next.carrier, in.Carrier},
			{&next.tracking, in.TrackingNumber}, {&next.url, in.TrackingURL}} {
			if f.v != "" {
				*f.dst = f.v
			}
		}
		if in.EstimatedAt != nil {
			next.estimated = nullInt(micros(*in.EstimatedAt))
		}
		if !ch.Version.IsZero() {
			next.fieldsAt = max(next.fieldsAt, version)
		}
	}
	changed := next.orderID != cur.orderID || next.carrier != cur.carrier || next.tracking != cur.tracking ||
		next.url != cur.url || next.estimated != cur.estimated

	// The timeline, oldest first, so equal-rank statuses settle on the latest.
	events := slices.Clone(in.Events)
	slices.SortStableFunc(events, func(a, b epilogue.ShipmentEvent) int { return a.Time.Compare(b.Time) })
	var setBy *epilogue.ShipmentEvent
	fresh := 0
	var latest int64
	for i := range events {
		e := &events[i]
		if e.Source == "" {
			e.Source = u.Source
		}
		retry, err := u.RetriedScan(e, func() (*epilogue.ShipmentEvent, error) { return b.latestEvent(u.ShopID, id) })
		if err != nil {
			return track.ShipmentResult{}, err
		}
		if retry {
			continue // sent again without a time: stamped anew, it would look like another scan
		}
		n, err := b.exec("InsertShipmentEvent", u.ShopID, id, timelineKey(e), e.Status, e.RawStatus, e.Source, e.Message,
			e.Location, micros(e.Time), micros(now))
		if err != nil {
			return track.ShipmentResult{}, err
		}
		if n == 0 {
			continue // seen already: a retry, or a tracker resending its history
		}
		fresh++
		latest = max(latest, micros(e.Time))
		next.reached |= statusBit(e.Status)
		if moves(e, next.status, next.statusAt) {
			next.status, next.statusAt, setBy = e.Status, nullInt(micros(e.Time)), e
		}
	}
	switch {
	case !watchable[next.status] || next.reached&statusBit(epilogue.ShipStalledTransit) != 0:
		next.watch = sql.NullInt64{}
	case next.watch.Valid:
		next.watch = nullInt(max(next.watch.Int64, latest))
	default:
		next.watch = nullInt(max(next.createdAt, latest))
	}

	r := track.ShipmentResult{ID: id, NewEvents: fresh}
	switch {
	case !found:
		r.Status = track.Created
		_, err = b.exec("InsertShipment", u.ShopID, id, next.orderID, next.carrier, next.tracking, next.url, next.estimated,
			next.status, next.statusAt, next.reached, next.watch, next.createdAt, micros(now), next.fieldsAt)
	case changed || fresh > 0 || next.watch != cur.watch || next.fieldsAt != cur.fieldsAt:
		r.Status = track.Updated
		if !changed && fresh == 0 && next.watch == cur.watch {
			r.Status = track.Unchanged // only the details' time moved on
		}
		_, err = b.exec("UpdateShipment", next.orderID, next.carrier, next.tracking, next.url, next.estimated, next.status,
			next.statusAt, next.reached, next.watch, micros(now), next.fieldsAt, u.ShopID, id)
	default:
		r.Status = track.Unchanged
	}
	r.ShipmentStatus = next.status
	if err != nil || r.Status == track.Unchanged {
		return r, err
	}
	if next.orderID != "" && next.orderID != cur.orderID {
		// The order has a shipment now: it can no longer stall waiting for one.
		if _, err := b.exec("UnwatchOrder", u.ShopID, next.orderID); err != nil {
			return r, err
		}
	}
	news := setBy != nil && cur.reached&statusBit(next.status) == 0
	if found && !news {
		return r, nil
	}
	customer, known, err := b.orderOf(u.ShopID, next.orderID)
	if err != nil {
		return r, err
	}
	if next.orderID != "" && !known {
		// The order has not come yet (webhooks race): its shipment's news waits for it, as its
		// refunds do, or the journeys it starts would find no customer to write to.
		// announceShipments tells it when the order comes.
		return r, nil
	}
	a := epilogue.Activity{ShopID: u.ShopID, OrderID: next.orderID, ShipmentID: id, CustomerID: customer, Data: next.data()}
	if !found {
		a.Kind, a.Time = epilogue.ActivityShipmentCreated, now
		if err := b.activity(a); err != nil {
			return r, err
		}
	}
	if news {
		a.Kind, a.Status, a.Time, a.Data = epilogue.ActivityShipmentStatus, next.status, setBy.Time, next.data()
		for k, v := range map[string]string{"raw_status": setBy.RawStatus, "message": setBy.Message, "location": setBy.Location,
			"source": setBy.Source} {
			if v != "" {
				a.Data[k] = v
			}
		}
		err = b.activity(a)
	}
	return r, err
}

// announceShipments tells the journey engine about the shipments that came before their order
// (see applyShipmentTo): each one's creation and the status it has reached, at the times they
// happened, as if the order had come first.
func (b *batch) announceShipments(shopID string, o *epilogue.Order) error {
	rows, err := b.query("OrderShipmentIDs", shopID, o.ID)
	if err != nil {
		return wrap("OrderShipmentIDs", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return wrap("OrderShipmentIDs", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap("OrderShipmentIDs", err)
	}
	for _, id := range ids {
		st, found, err := b.shipmentState(shopID, id)
		if err != nil || !found {
			return err
		}
		a := epilogue.Activity{ShopID: shopID, Kind: epilogue.ActivityShipmentCreated, OrderID: o.ID, ShipmentID: id,
			CustomerID: o.CustomerID, Time: fromMicros(st.createdAt), Data: st.data()}
		if err := b.activity(a); err != nil {
			return err
		}
		if st.status != "" && st.statusAt.Valid {
			a.Kind, a.Status, a.Time, a.Data = epilogue.ActivityShipmentStatus, st.status, fromMicros(st.statusAt.Int64), st.data()
			if err := b.activity(a); err != nil {
				return err
			}
		}
	}
	return nil
}

// latestEvent returns the latest scan of a shipment's timeline, nil when it has none.
func (b *batch) latestEvent(shopID, id string) (*epilogue.ShipmentEvent, error) {
	var e epilogue.ShipmentEvent
	err := b.queryRow("LatestShipmentEvent", shopID, id).Scan(&e.Status, &e.RawStatus, &e.Message, &e.Location)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &e, wrap("LatestShipmentEvent", err)
}

// data is what a shipment's activities carry for messages: how to follow the parcel.
func (s *shipmentState) data() map[string]string {
	d := map[string]string{}
	for k, v := range map[string]string{"carrier": s.carrier, "tracking_number": s.tracking, "tracking_url": s.url} {
		if v != "" {
			d[k] = v
		}
	}
	if s.estimated.Valid {
		d["estimated_delivery"] = fromMicros(s.estimated.Int64).Format(time.RFC3339)
	}
	return d
}

// timelineKey identifies a scan by what it says, so the same scan sent twice is stored once.
func timelineKey(e *epilogue.ShipmentEvent) string {
	return epilogue.SHA256Hex(e.Status + "\x00" + e.RawStatus + "\x00" + strconv.FormatInt(micros(e.Time), 10) + "\x00" +
		e.Message + "\x00" + e.Location)[:32]
}

// Shipment returns one shipment of a shop with its timeline.
func (db *DB) Shipment(ctx context.Context, shopID, id string) (*epilogue.Shipment, error) {
	s, err := scanShipment(db.read.QueryRowContext(ctx, db.q.get("Shipment"), shopID, id), shopID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, epilogue.NotFound("shipment", id)
	}
	if err != nil {
		return nil, wrap("Shipment", err)
	}
	if s.Events, err = db.shipmentEvents(ctx, shopID, id); err != nil {
		return nil, err
	}
	return s, nil
}

// OrderShipments returns the shipments of an order (at most 100), oldest first, with their
// timelines. An unknown order has none.
func (db *DB) OrderShipments(ctx context.Context, shopID, orderID string) ([]*epilogue.Shipment, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("OrderShipments"), shopID, orderID)
	if err != nil {
		return nil, wrap("OrderShipments", err)
	}
	ss := []*epilogue.Shipment{}
	for rows.Next() {
		s, err := scanShipment(rows, shopID)
		if err != nil {
			rows.Close()
			return nil, wrap("OrderShipments", err)
		}
		ss = append(ss, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("OrderShipments", err)
	}
	for _, s := range ss {
		if s.Events, err = db.shipmentEvents(ctx, shopID, s.ID); err != nil {
			return nil, err
		}
	}
	return ss, nil
}

func (db *DB) shipmentEvents(ctx context.Context, shopID, id string) ([]epilogue.ShipmentEvent, error) {
	rows, err := db.read.QueryContext(ctx, db.q.get("ShipmentEvents"), shopID, id)
	if err != nil {
		return nil, wrap("ShipmentEvents", err)
	}
	defer rows.Close()
	es := []epilogue.ShipmentEvent{}
	for rows.Next() {
		var e epilogue.ShipmentEvent
		var t int64
		if err := rows.Scan(&e.Status, &e.RawStatus, &e.Source, &e.Message, &e.Location, &t); err != nil {
			return nil, wrap("ShipmentEvents", err)
		}
		e.Time = fromMicros(t)
		es = append(es, e)
	}
	return es, wrap("ShipmentEvents", rows.Err())
}

func scanShipment(r scanner, shopID string) (*epilogue.Shipment, error) {
	s := epilogue.Shipment{ShopID: shopID}
	var est sql.NullInt64
	var created, updated int64
	if err := r.Scan(&s.ID, &s.OrderID, &s.Carrier, &s.TrackingNumber, &s.TrackingURL, &est, &s.Status, &created, &updated); err != nil {
		return nil, err
	}
	s.EstimatedAt, s.CreatedAt, s.UpdatedAt = fromNullMicros(est), fromMicros(created), fromMicros(updated)
	return &s, nil
}

// QuietShipments returns up to limit shipments of a shop on their way with no carrier scan since
// t (nor since Epilogue first heard of them), quietest first.
func (db *DB) QuietShipments(ctx context.Context, shopID string, t time.Time, limit int) ([]track.Watch, error) {
	return db.watches(ctx, "QuietShipments", shopID, t, limit)
}

// RecordStalledTransit reports a shipment as stalled_transit: a timeline event, the status (when
// it ranks no lower than the current one) and the activity, together, unless a scan arrived
// since it was found or another replica recorded it first. A shipment stalls once.
func (db *DB) RecordStalledTransit(ctx context.Context, shopID string, w track.Watch, at time.Time) (bool, error) {
	won := false
	err := db.batch(ctx, func(b *batch) error {
		st, found, err := b.shipmentState(shopID, w.ID)
		if err != nil || !found || !st.watch.Valid || st.watch.Int64 != micros(w.Since) {
			return err
		}
		status, statusAt := st.status, st.statusAt
		// The stall counts from the last scan, so any later scan of the same rank replaces it.
		e := epilogue.ShipmentEvent{Status: epilogue.ShipStalledTransit, Source: track.SourceEpilogue, Time: at,
			Message: "no carrier scan since " + w.Since.UTC().Format(time.RFC3339)}
		if moves(&epilogue.ShipmentEvent{Status: e.Status, Time: w.Since}, status, statusAt) {
			status, statusAt = e.Status, nullInt(micros(w.Since))
		}
		n, err := b.exec("StallShipment", status, statusAt, st.reached|statusBit(e.Status), micros(at), shopID, w.ID,
			micros(w.Since))
		if err != nil || n == 0 {
			return err
		}
		if _, err := b.exec("InsertShipmentEvent", shopID, w.ID, timelineKey(&e), e.Status, "", e.Source, e.Message, "",
			micros(at), micros(at)); err != nil {
			return err
		}
		customer, known, err := b.orderOf(shopID, st.orderID)
		if err != nil {
			return err
		}
		won = true
		if st.orderID != "" && !known {
			return nil // the stall is the shipment's status now: announceShipments tells it with the order
		}
		data := st.data()
		data["quiet_since"] = w.Since.UTC().Format(time.RFC3339)
		return b.activity(epilogue.Activity{ShopID: shopID, Kind: epilogue.ActivityShipmentStatus, OrderID: st.orderID,
			ShipmentID: w.ID, CustomerID: customer, Status: epilogue.ShipStalledTransit, Time: at, Data: data})
	})
	return won && err == nil, err
}
