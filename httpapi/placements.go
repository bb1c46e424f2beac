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

// updatePlacement applies a partial update like updateOffer: the body is read once and applied
// to the placement as stored, again if another change was stored meanwhile.
func (s *Server) updatePlacement(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.store.UpdatePlacement(r.Context(), shopID(r), r.PathValue("id"), func(p *epilogue.Placement) error {
		id := p.ID
		if err := unmarshalPatch(body, p); err != nil {
			return err
		}
		if p.ID != id {
			return epilogue.Invalid("id", "cannot be changed")
		}
		p.UpdatedAt = s.clock.Now().UTC()
		p.Defaults()
		return p.Validate()
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reload(r)
	writeJSON(w, http.StatusOK, p)
}
