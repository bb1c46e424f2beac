package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/internal/jsondecode"
)

// maxEvents is the most events one call may carry.
const maxEvents = 100

type eventIn struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Token    string          `json:"token"`
	Time     string          `json:"time"`
	Value    epilogue.Amount `json:"value"`
	Currency string          `json:"currency"`
}

// valueSynonyms are the names other APIs give an event's value; an unknown field by one of
// these names is answered with the right one.
var valueSynonyms = map[string]bool{"amount": true, "revenue": true, "price": true, "total": true}

type eventResult struct {
	ID     string       `json:"id"`
	Status string       `json:"status"`
	Error  *errorDetail `json:"error,omitempty"`
}

// createEvents takes a batch of offer events. Each is checked on its own and answered in order;
// the good ones are committed durably before the answer, and only new ones change any state.
func (s *Server) createEvents(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r.Context())
	var batch struct {
		Events []json.RawMessage `json:"events"`
	}
	body, err := readBody(w, r)
	if err == nil {
		err = unmarshal(body, &batch, true)
	}
	if err == nil && batch.Events == nil {
		err = epilogue.Invalid("events", "is required: an array of 1 to %d events", maxEvents)
	}
	if err == nil && (len(batch.Events) == 0 || len(batch.Events) > maxEvents) {
		err = epilogue.Invalid("events", "must hold 1 to %d events, not %d", maxEvents, len(batch.Events))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	results := make([]eventResult, len(batch.Events))
	var good []*epilogue.Event
	var at []int
	for i, raw := range batch.Events {
		ev, id, err := s.prepareEvent(c.key.ShopID, raw)
		results[i].ID = id
		if err != nil {
			e, _ := err.(*epilogue.Error)
			if e == nil {
				e = epilogue.Errorf(epilogue.EInvalid, "%v", err)
			}
			field := "events[" + strconv.Itoa(i) + "]"
			if e.Field != "" {
				field += "." + e.Field
			}
			results[i].Status, results[i].Error = "rejected", &errorDetail{Code: e.Code, Message: e.Message, Field: field}
			s.metrics.events.WithLabelValues("unknown", "rejected").Inc()
			continue
		}
		good = append(good, ev)
		at = append(at, i)
	}
	if len(good) > 0 {
		fresh, err := s.events.Submit(r.Context(), good...)
		if err != nil {
			s.engine.Release(good...)
			s.fail(w, r, epilogue.Errorf(epilogue.EUnavailable, "events were not stored; retry the batch (event ids make it safe)"))
			s.log.ErrorContext(r.Context(), "storing events", "err", err, "request_id", requestID(r.Context()))
			return
		}
		stored, err := s.storedEvents(r.Context(), c.key.ShopID, good, fresh)
		if err != nil {
			s.log.ErrorContext(r.Context(), "reading repeated events", "err", err, "request_id", requestID(r.Context()))
		}
		for j, ev := range good {
			status := "duplicate"
			if fresh[j] {
				status = "accepted"
				s.engine.Apply(ev)
			} else {
				s.engine.Release(ev)
			}
			if o := stored[ev.ID]; !fresh[j] && o != nil && !ev.SameAs(o) {
				// Not a retry: another event under a used id, which was not stored.
				status = "rejected"
				results[at[j]].Error = &errorDetail{Code: epilogue.EConflict, Field: "events[" + strconv.Itoa(at[j]) + "].id",
					Message: "is already the id of another event (" + o.Type + " of offer " + o.OfferID + "); give each event its own id"}
			}
			results[at[j]].Status = status
			s.metrics.events.WithLabelValues(ev.Type, status).Inc()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// storedEvents returns, by id, the stored events that the batch's duplicates repeated, so that a
// retry can be told from another event reusing an id. It reads nothing when all were fresh.
func (s *Server) storedEvents(ctx context.Context, shopID string, evs []*epilogue.Event, fresh []bool) (map[string]*epilogue.Event, error) {
	var ids []string
	for j, ev := range evs {
		if !fresh[j] {
			ids = append(ids, ev.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.store.EventsByID(ctx, shopID, ids)
}

// prepareEvent decodes and checks one event; it returns the client's id even when the rest is bad.
func (s *Server) prepareEvent(shopID string, raw json.RawMessage) (*epilogue.Event, string, error) {
	var in eventIn
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, "", epilogue.Errorf(epilogue.EInvalid, "an event must be a JSON object, not null")
	}
	// Strict, as every other body: a conversion sent with "amount" or "revenue" instead of
	// "value" would otherwise be stored without its value, and the shop's revenue figures would
	// be short without a word.
	if err := jsondecode.Decode(raw, &in, jsondecode.Options{Strict: true, UseNumber: true, What: "an event"}); err != nil {
		if e, ok := err.(*epilogue.Error); ok && valueSynonyms[e.Field] {
			e.Message += `; an event's money is "value" (with "currency")`
		}
		var probe struct {
			ID any `json:"id"`
		}
		json.Unmarshal(raw, &probe)
		id, _ := probe.ID.(string)
		return nil, id, err
	}
	var t time.Time
	if in.Time != "" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, in.Time); err != nil {
			return nil, in.ID, epilogue.Invalid("time", "must be an RFC 3339 time such as \"2026-11-23T12:00:00Z\"")
		}
	}
	ev, err := s.engine.Prepare(shopID, decide.EventInput{ID: in.ID, Type: in.Type, Token: in.Token, Time: t, Value: in.Value, Currency: in.Currency})
	return ev, in.ID, err
}
