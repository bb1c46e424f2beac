package httpapi

import (
	"net/http"

	"github.com/epiloguehq/epilogue"
)

func (s *Server) createPlacement(w http.ResponseWriter, r *http.Request) {
	p := epilogue.Placement{MaxOffers: epilogue.DefaultMaxOffers}
	if err := decode(w, r, &p, true); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.clock.Now().UTC()
	p.ShopID, p.CreatedAt, p.UpdatedAt = shopID(r), now, now
	p.Defaults()
	if err := p.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.CreatePlacement(r.Context(), &p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.reload(r)
	writeJSON(w, http.StatusCreated, &p)
}

func (s *Server) getPlacement(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.Placement(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) listPlacements(w http.ResponseWriter, r *http.Request) {
	f, err := listFilter(r)
	if err == nil && f.Kind != "" {
		err = epilogue.Invalid("kind", "placements have no kind; filter by status")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ps, next, err := s.store.Placements(r.Context(), shopID(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page(r, ps, next))
}

func (s *Server) updatePlacement(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.Placement(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, created := p.ID, p.CreatedAt
	if err := decodePatch(w, r, p); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.ID != id {
		s.fail(w, r, epilogue.Invalid("id", "cannot be changed"))
		return
	}
	p.CreatedAt, p.UpdatedAt, p.ShopID = created, s.clock.Now().UTC(), shopID(r)
	p.Defaults()
	if err := p.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.UpdatePlacement(r.Context(), p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.reload(r)
	writeJSON(w, http.StatusOK, p)
}
