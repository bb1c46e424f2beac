package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/epiloguehq/epilogue"
)

type customerIn struct {
	Email      *string            `json:"email"`
	Phone      *string            `json:"phone"`
	FirstName  *string            `json:"first_name"`
	LastName   *string            `json:"last_name"`
	Locale     *string            `json:"locale"`
	Timezone   *string            `json:"timezone"`
	Attributes map[string]*string `json:"attributes"` // pointers: a null value is refused, not read as ""
	Consent    *epilogue.Consent  `json:"consent"`
	Extra      map[string]any     `json:"-"`
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
	shop, now := shopID(r), s.clock.Now().UTC()
	// One PUT of a customer at a time in this process, so that the in-memory profile is set in
	// the order the store took the writes (the store alone keeps replicas from losing a change).
	defer s.customers.lock(shop + "\x00" + id)()
	// The change is applied to the customer as stored, again if another change was stored
	// meanwhile: in is only read, so applying it twice is applying it once.
	c, err := s.store.UpdateCustomer(r.Context(), shop, id, func(c *epilogue.Customer, found bool) error {
		if c.ErasedAt != nil {
			// The store keeps an erasure whatever is written after it: what a PUT wrote would be
			// kept under an erased record that decisions and messages no longer read.
			return epilogue.Errorf(epilogue.EConflict, "customer %q was erased and stays erased; a returning customer needs a new id", epilogue.Clip(id))
		}
		if !found {
			c.CreatedAt = now
		}
		if err := applyCustomer(c, &in); err != nil {
			return err
		}
		c.UpdatedAt = now
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.engine.People().SetProfile(shop, c)
	writeJSON(w, http.StatusOK, c)
}

func applyCustomer(c *epilogue.Customer, in *customerIn) error {
	for _, f := range []struct {
		dst   *string
		v     *string
		name  string
		limit int
	}{{&c.Phone, in.Phone, "phone", 32}, {&c.FirstName, in.FirstName, "first_name", 100},
		{&c.LastName, in.LastName, "last_name", 100}, {&c.Locale, in.Locale, "locale", 35}, {&c.Timezone, in.Timezone, "timezone", 64}} {
		if f.v == nil {
			continue
		}
		v := strings.TrimSpace(*f.v)
		if utf8.RuneCountInString(v) > f.limit {
			return epilogue.Invalid(f.name, "must be at most %d characters", f.limit)
		}
		if err := epilogue.NoControl(f.name, v, false); err != nil {
			return err
		}
		*f.dst = v
	}
	if in.Email != nil {
		e := strings.TrimSpace(*in.Email)
		if e != "" && !epilogue.ValidEmail(e, true) {
			return epilogue.Invalid("email", "is not an email address (one bare address such as \"ana@example.com\")")
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
		attrs := make(map[string]string, len(in.Attributes))
		for _, k := range slices.Sorted(maps.Keys(in.Attributes)) { // the same error for the same body
			v := in.Attributes[k]
			if k == "" || utf8.RuneCountInString(k) > 64 {
				return epilogue.Invalid("attributes", "attribute names are 1 to 64 characters, not %q", epilogue.Clip(k))
			}
			if err := epilogue.NoControl("attributes", k, false); err != nil {
				return epilogue.Invalid("attributes", "attribute name %q: %s", epilogue.Clip(k), err.(*epilogue.Error).Message)
			}
			field := "attributes." + k
			if v == nil {
				return epilogue.Invalid(field, "must be a string, not null: leave the attribute out to remove it")
			}
			if utf8.RuneCountInString(*v) > 256 {
				return epilogue.Invalid(field, "must be at most 256 characters")
			}
			if err := epilogue.NoControl(field, *v, false); err != nil {
				return err
			}
			attrs[k] = *v
		}
		c.Attributes = attrs
	}
	if in.Consent != nil {
		// Each flag left out keeps its value: {"email":true} must not forget a "partners":false.
		for _, f := range []struct{ dst, v **bool }{{&c.Consent.Email, &in.Consent.Email}, {&c.Consent.SMS, &in.Consent.SMS},
			{&c.Consent.Marketing, &in.Consent.Marketing}, {&c.Consent.Partners, &in.Consent.Partners}} {
			if *f.v != nil {
				*f.dst = *f.v
			}
		}
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
	keys := []string{"id:" + id}
	if c.EmailSHA256 != "" {
		keys = append(keys, "em:"+c.EmailSHA256)
	}
	s.engine.People().Erase(shop, s.clock.Now().UTC(), keys...)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "erased": true})
}
