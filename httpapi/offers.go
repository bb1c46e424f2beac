package httpapi

import (
	"net/http"
	"strconv"

	"github.com/epiloguehq/epilogue"
)

// list is the shape of every list answer.
type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// page is one page of a list; next is the store's cursor, sealed here for the caller's shop.
func page[T any](r *http.Request, items []T, next string) list[T] {
	l := list[T]{Data: items}
	next = sealCursor(callerOf(r.Context()).shop.Secret, next)
	if l.Data == nil {
		l.Data = []T{}
	}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}

// listFilter reads status, kind, cursor and limit from the query string.
func listFilter(r *http.Request) (epilogue.ListFilter, error) {
	q := r.URL.Query()
	f := epilogue.ListFilter{Status: q.Get("status"), Kind: q.Get("kind"), Limit: 50}
	var err error
	if f.Cursor, err = openCursor(callerOf(r.Context()).shop.Secret, q.Get("cursor")); err != nil {
		return f, err
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return f, epilogue.Invalid("limit", "must be a whole number from 1 to 200")
		}
		f.Limit = n
	}
	if f.Status != "" && f.Status != epilogue.StatusActive && f.Status != epilogue.StatusPaused && f.Status != epilogue.StatusArchived {
		return f, epilogue.Invalid("status", "must be active, paused or archived")
	}
	return f, nil
}

func (s *Server) createOffer(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r.Context())
	var o epilogue.Offer
	if err := decode(w, r, &o, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if o.ID != "" {
		s.fail(w, r, epilogue.Invalid("id", "is assigned by Epilogue; leave it out"))
		return
	}
	now := s.clock.Now().UTC()
	o.ID, o.ShopID, o.CreatedAt, o.UpdatedAt = epilogue.NewID(epilogue.PrefixOffer), c.key.ShopID, now, now
	o.Defaults(c.shop.Settings.Currency)
	if err := o.ValidateFor(c.shop.Settings.Currency); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.CreateOffer(r.Context(), &o); err != nil {
		s.fail(w, r, err)
		return
	}
	s.reload(r)
	writeJSON(w, http.StatusCreated, &o)
}

func (s *Server) getOffer(w http.ResponseWriter, r *http.Request) {
	o, err := s.store.Offer(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) listOffers(w http.ResponseWriter, r *http.Request) {
	f, err := listFilter(r)
	if err == nil && f.Kind != "" && !isKind(f.Kind) {
		err = epilogue.Invalid("kind", "unknown kind %q; one of %v", f.Kind, epilogue.Kinds)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offers, next, err := s.store.Offers(r.Context(), shopID(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page(r, offers, next))
}

// updateOffer applies a partial update: the body's fields replace the offer's (objects merge,
// arrays replace), then the whole offer is validated again. The body is read once and applied
// to the offer as stored, again if another change was stored meanwhile.
func (s *Server) updateOffer(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r.Context())
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.store.UpdateOffer(r.Context(), c.key.ShopID, r.PathValue("id"), func(o *epilogue.Offer) error {
		id := o.ID
		if err := unmarshalPatch(body, o); err != nil {
			return err
		}
		if o.ID != id {
			return epilogue.Invalid("id", "cannot be changed")
		}
		o.UpdatedAt = s.clock.Now().UTC()
		o.Defaults(c.shop.Settings.Currency)
		return o.ValidateFor(c.shop.Settings.Currency)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reload(r)
	writeJSON(w, http.StatusOK, o)
}

func isKind(k string) bool {
	for _, v := range epilogue.Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// reload rebuilds the calling shop's snapshot after a configuration change, so the next
// decision sees it. A failure is logged; the periodic sync retries.
func (s *Server) reload(r *http.Request) {
	if err := s.engine.Reload(r.Context(), s.store, shopID(r)); err != nil {
		s.log.ErrorContext(r.Context(), "reloading snapshot", "err", err, "request_id", requestID(r.Context()))
	}
}
