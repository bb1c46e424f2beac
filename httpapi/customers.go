package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

type customerIn struct {
	Email      *string           `json:"email"`
	Phone      *string           `json:"phone"`
	FirstName  *string           `json:"first_name"`
	LastName   *string           `json:"last_name"`
	Locale     *string           `json:"locale"`
	Timezone   *string           `json:"timezone"`
	Attributes map[string]string `json:"attributes"`
	Consent    *epilogue.Consent `json:"consent"`
	Extra      map[string]any    `json:"-"`
}

// putCustomer creates or updates a customer; fields left out keep their value.
func (s *Server) putCustomer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !epilogue.ValidExternalID(id) {
		s.fail(w, r, epilogue.Invalid("id", "must be 1 to 128 characters without spaces"))
		return
	}
	var in customerIn
	if err := decode(w, r, &in, true); err != nil {
		s.fail(w, r, err)
		return
	}
	shop := shopID(r)
	c, err := s.store.Customer(r.Context(), shop, id)
	now := s.clock.Now().UTC()
	switch {
	case epilogue.ErrorCode(err) == epilogue.ENotFound:
		c = &epilogue.Customer{ID: id, ShopID: shop, CreatedAt: now, Attributes: map[string]string{}}
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if err := applyCustomer(c, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	c.ErasedAt, c.UpdatedAt = nil, now
	if err := s.store.UpsertCustomer(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	s.engine.People().SetProfile(shop, c)
	writeJSON(w, http.StatusOK, c)
}

func applyCustomer(c *epilogue.Customer, in *customerIn) error {
	set := func(dst *string, v *string, field string, maxLen int) error {
		if v == nil {
			return nil
		}
		if len(*v) > maxLen {
			return epilogue.Invalid(field, "must be at most %d characters", maxLen)
		}
		*dst = strings.TrimSpace(*v)
		return nil
	}
	for _, f := range []struct {
		dst   *string
		v     *string
		name  string
		limit int
	}{{&c.Phone, in.Phone, "phone", 32}, {&c.FirstName, in.FirstName, "first_name", 100},
		{&c.LastName, in.LastName, "last_name", 100}, {&c.Locale, in.Locale, "locale", 35}, {&c.Timezone, in.Timezone, "timezone", 64}} {
		if err := set(f.dst, f.v, f.name, f.limit); err != nil {
			return err
		}
	}
	if in.Email != nil {
		e := strings.TrimSpace(*in.Email)
		if e != "" && (len(e) > 320 || !strings.Contains(e, "@")) {
			return epilogue.Invalid("email", "is not an email address")
		}
		c.Email, c.EmailSHA256 = e, ""
		if e != "" {
			c.EmailSHA256 = epilogue.EmailSHA256(e)
		}
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "Local" {
			return epilogue.Invalid("timezone", "unknown IANA time zone %q", c.Timezone)
		}
	}
	if in.Attributes != nil {
		if len(in.Attributes) > 50 {
			return epilogue.Invalid("attributes", "at most 50 attributes")
		}
		for k, v := range in.Attributes {
			if k == "" || len(k) > 64 || len(v) > 256 {
				return epilogue.Invalid("attributes."+k, "names are 1 to 64 and values at most 256 characters")
			}
		}
		c.Attributes = in.Attributes
	}
	if in.Consent != nil {
		c.Consent = *in.Consent
	}
	return nil
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.Customer(r.Context(), shopID(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// deleteCustomer erases a customer's personal data; their events stay, pseudonymised.
func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	shop, id := shopID(r), r.PathValue("id")
	if !epilogue.ValidExternalID(id) {
		s.fail(w, r, epilogue.Invalid("id", "is not a customer id: 1 to 128 characters without spaces"))
		return
	}
	// Erasure is owed whether or not a profile was put: the id may be known only from
	// decisions, events or orders. Only the email of a profile widens what is erased.
	c, err := s.store.Customer(r.Context(), shop, id)
	if epilogue.ErrorCode(err) == epilogue.ENotFound {
		c, err = &epilogue.Customer{ID: id}, nil
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.EraseCustomer(r.Context(), shop, id, s.clock.Now().UTC()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.engine.People().Forget(shop, c.Key())
	if c.EmailSHA256 != "" {
		s.engine.People().Forget(shop, "em:"+c.EmailSHA256)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "erased": true})
}
