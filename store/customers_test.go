package store_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

func ptr[T any](v T) *T { return &v }

func customer(shopID, id, email string) *epilogue.Customer {
	return &epilogue.Customer{
		ID: id, ShopID: shopID, Email: email, EmailSHA256: epilogue.EmailSHA256(email), Phone: "+15555550100",
		FirstName: "Ada", LastName: "Lovelace", Locale: "en-GB", Timezone: "Europe/London",
		Attributes: map[string]string{"tier": "gold"},
		Consent:    epilogue.Consent{Email: ptr(true), SMS: ptr(false), Marketing: nil, Partners: ptr(true)},
		CreatedAt:  t0, UpdatedAt: t0,
	}
}

func TestCustomerUpsert(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		c := customer("s1", "c1", "ada@example.com")
		must(t, db.UpsertCustomer(ctx, c))
		got, err := db.Customer(ctx, "s1", "c1")
		must(t, err)
		equal(t, "customer", got, c)

		u := &epilogue.Customer{ID: "c1", ShopID: "s1", Attributes: map[string]string{}, CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Hour)}
		must(t, db.UpsertCustomer(ctx, u))
		got, err = db.Customer(ctx, "s1", "c1")
		must(t, err)
		want := *u
		want.CreatedAt = t0 // the first write's
		equal(t, "upserted customer", got, &want)

		_, err = db.Customer(ctx, "s1", "nope")
		code(t, "Customer unknown", err, epilogue.ENotFound)
	})
}

func TestCustomerTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		a := customer("a", "c1", "a@example.com")
		must(t, db.UpsertCustomer(ctx, a))
		b := customer("b", "c1", "b@example.com")
		must(t, db.UpsertCustomer(ctx, b))
		got, err := db.Customer(ctx, "a", "c1")
		must(t, err)
		equal(t, "a's customer after b's upsert of the same id", got, a)
		must(t, db.UpsertCustomer(ctx, customer("b", "only-b", "x@example.com")))
		_, err = db.Customer(ctx, "a", "only-b")
		code(t, "a reads b's customer", err, epilogue.ENotFound)
		// Erasing the id in a leaves an erased record in a and b's customer as it was.
		must(t, db.EraseCustomer(ctx, "a", "only-b", t0))
		if got, err := db.Customer(ctx, "b", "only-b"); err != nil || got.ErasedAt != nil || got.Email != "x@example.com" {
			t.Fatalf("a's erasure reached b's customer: %+v, %v", got, err)
		}
	})
}

func TestEraseCustomer(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "a")
		newShop(t, db, "b")
		c := customer("a", "c1", "ada@example.com")
		must(t, db.UpsertCustomer(ctx, c))
		byID, byEmail := "id:c1", "em:"+c.EmailSHA256
		keep := customer("a", "c2", "grace@example.com")
		must(t, db.UpsertCustomer(ctx, keep))

		_, err := db.InsertEvents(ctx, []*epilogue.Event{
			event("a", "e1", "off_1", byID, t0, 0),
			event("a", "e2", "off_1", byEmail, t0, 0),
			event("a", "e3", "off_1", "id:c2", t0, 0),
			event("b", "e4", "off_1", byID, t0, 0), // the same key in another shop is another person
		})
		must(t, err)
		bd1 := decision("b", "d1", byID) // the same decision id and key in another shop
		bd1.ModelVersion = "b's model"
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{
			decision("a", "d1", byID), decision("a", "d2", byEmail), decision("a", "d3", "id:c2"), decision("b", "d4", byID), bd1,
		}))

		at := t0.Add(24 * time.Hour)
		must(t, db.EraseCustomer(ctx, "a", "c1", at))
		// An id with no profile is erased too, from what carries it (here a decision), and an
		// erased record is left.
		must(t, db.InsertDecisions(ctx, []*epilogue.Decision{decision("a", "d9", "id:noprofile")}))
		must(t, db.EraseCustomer(ctx, "a", "noprofile", at))
		if d, err := db.Decision(ctx, "a", "d9"); err != nil || d.CustomerKey == "id:noprofile" {
			t.Fatalf("decision of an erased id without a profile: %+v, %v", d, err)
		}
		if tomb, err := db.Customer(ctx, "a", "noprofile"); err != nil || tomb.ErasedAt == nil || !tomb.ErasedAt.Equal(at) {
			t.Fatalf("no erased record for an id without a profile: %+v, %v", tomb, err)
		}

		got, err := db.Customer(ctx, "a", "c1")
		must(t, err)
		want := &epilogue.Customer{ID: "c1", ShopID: "a", Locale: c.Locale, Timezone: c.Timezone, Consent: c.Consent, Attributes: map[string]string{},
			ErasedAt: &at, CreatedAt: c.CreatedAt, UpdatedAt: at}
		equal(t, "erased customer", got, want)

		// Both keys became one pseudonym, in events and decisions alike.
		es, _, err := db.EventsAfter(ctx, 0, 100)
		must(t, err)
		keys := map[string]string{}
		for _, e := range es {
			keys[e.ShopID+"/"+e.ID] = e.CustomerKey
		}
		anon := keys["a/e1"]
		if !strings.HasPrefix(anon, "anon:") || len(anon) < 15 || keys["a/e2"] != anon {
			t.Fatalf("event keys after erase: %v", keys)
		}
		if keys["a/e3"] != "id:c2" || keys["b/e4"] != byID {
			t.Fatalf("erase touched other customers' events: %v", keys)
		}
		for _, id := range []string{"d1", "d2"} {
			d, err := db.Decision(ctx, "a", id)
			must(t, err)
			if d.CustomerKey != anon {
				t.Fatalf("decision %s key %q, want %q", id, d.CustomerKey, anon)
			}
			if !reflect.DeepEqual(d.Request.Customer, epilogue.CustomerRef{}) || d.Request.Attributes != nil {
				t.Fatalf("decision %s still holds the customer: %+v %v", id, d.Request.Customer, d.Request.Attributes)
			}
			// The rest of the decision still teaches the model.
			orig := decision("a", id, anon)
			orig.Request.Customer, orig.Request.Attributes = epilogue.CustomerRef{}, nil
			equal(t, "decision "+id, d, orig)
		}
		for _, k := range [][2]string{{"a", "d3"}, {"b", "d4"}, {"b", "d1"}} {
			d, err := db.Decision(ctx, k[0], k[1])
			must(t, err)
			if d.Request.Customer.ID != "c1" || d.CustomerKey == anon {
				t.Fatalf("erase touched decision %s/%s", k[0], k[1])
			}
		}
		es, err = db.CustomerEvents(ctx, "a", byID, time.Time{})
		must(t, err)
		if len(es) != 0 {
			t.Fatalf("%d events still under the customer's id", len(es))
		}
		other, err := db.Customer(ctx, "a", "c2")
		must(t, err)
		equal(t, "the other customer", other, keep)

		// An upsert after the erasure (a new order) does not undo it.
		again := customer("a", "c1", "ada@example.com")
		must(t, db.UpsertCustomer(ctx, again))
		got, err = db.Customer(ctx, "a", "c1")
		must(t, err)
		if got.ErasedAt == nil || !got.ErasedAt.Equal(at) {
			t.Fatalf("erased_at after a later upsert: %v", got.ErasedAt)
		}
	})
}

func TestEraseCustomerWithoutEmail(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		must(t, db.UpsertCustomer(ctx, &epilogue.Customer{ID: "c1", ShopID: "s1", CreatedAt: t0, UpdatedAt: t0}))
		_, err := db.InsertEvents(ctx, []*epilogue.Event{event("s1", "e1", "off_1", "id:c1", t0, 0), event("s1", "e2", "off_1", "em:", t0, 0)})
		must(t, err)
		must(t, db.EraseCustomer(ctx, "s1", "c1", t0))
		es, _, err := db.EventsAfter(ctx, 0, 10)
		must(t, err)
		if !strings.HasPrefix(es[0].CustomerKey, "anon:") || es[1].CustomerKey != "em:" {
			t.Fatalf("keys after erase: %q %q", es[0].CustomerKey, es[1].CustomerKey)
		}
	})
}

func TestCustomersAfterPagesEveryShop(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		for _, s := range []string{"a", "b"} {
			must(t, db.CreateShop(ctx, &epilogue.Shop{ID: s, CreatedAt: t0}))
		}
		yes := true
		must(t, db.UpsertCustomer(ctx, &epilogue.Customer{ShopID: "a", ID: "c1", Attributes: map[string]string{"tier": "gold"}, Consent: epilogue.Consent{Partners: &yes}, CreatedAt: t0, UpdatedAt: t0}))
		must(t, db.UpsertCustomer(ctx, &epilogue.Customer{ShopID: "b", ID: "c1", Attributes: map[string]string{}, CreatedAt: t0, UpdatedAt: t0}))
		must(t, db.UpsertCustomer(ctx, &epilogue.Customer{ShopID: "a", ID: "c2", Attributes: map[string]string{}, CreatedAt: t0, UpdatedAt: t0}))
		first, seq, err := db.CustomersAfter(ctx, 0, 2)
		must(t, err)
		rest, _, err := db.CustomersAfter(ctx, seq, 2)
		must(t, err)
		if len(first) != 2 || len(rest) != 1 || first[0].ShopID != "a" || first[1].ShopID != "b" || rest[0].ID != "c2" ||
			first[0].Attributes["tier"] != "gold" || first[0].Consent.Partners == nil {
			t.Fatalf("pages: %+v %+v", first, rest)
		}
	})
}

// Another change stored while a customer was being changed (as another request or replica
// does) is kept: the change is applied again over it. That holds for a customer two writers
// create at once, and for an erasure in between, which the change then sees.
func TestCustomerUpdateKeepsConcurrentChanges(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		newShop(t, db, "s2")

		// Two writers create one customer: the one that finds it created changes it instead.
		var found []bool
		got, err := db.UpdateCustomer(ctx, "s1", "c1", func(c *epilogue.Customer, ok bool) error {
			if found = append(found, ok); len(found) == 1 {
				_, err := db.UpdateCustomer(ctx, "s1", "c1", func(c *epilogue.Customer, ok bool) error {
					c.FirstName, c.CreatedAt, c.UpdatedAt = "Ana", t0, t0
					return nil
				})
				must(t, err)
			}
			if !ok {
				c.CreatedAt = t0.Add(time.Hour)
			}
			c.Consent.Partners, c.UpdatedAt = ptr(false), t0.Add(time.Hour)
			// The change cannot move the customer or rewrite its history.
			c.ID, c.ShopID = "c2", "s2"
			return nil
		})
		must(t, err)
		want := &epilogue.Customer{ID: "c1", ShopID: "s1", FirstName: "Ana", Attributes: map[string]string{},
			Consent: epilogue.Consent{Partners: ptr(false)}, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}
		stored, err := db.Customer(ctx, "s1", "c1")
		must(t, err)
		equal(t, "calls (found)", found, []bool{false, true})
		equal(t, "answered customer", got, want)
		equal(t, "stored customer", stored, want)
		_, err = db.Customer(ctx, "s2", "c2")
		code(t, "the customer a change tried to move", err, epilogue.ENotFound)

		// A change of a known customer.
		found = nil
		got, err = db.UpdateCustomer(ctx, "s1", "c1", func(c *epilogue.Customer, ok bool) error {
			if found = append(found, ok); len(found) == 1 {
				_, err := db.UpdateCustomer(ctx, "s1", "c1", func(c *epilogue.Customer, ok bool) error {
					c.Attributes = map[string]string{"tier": "gold"}
					return nil
				})
				must(t, err)
			}
			c.LastName, c.CreatedAt = "Lopez", t0.Add(99*time.Hour)
			return nil
		})
		must(t, err)
		want.LastName, want.Attributes = "Lopez", map[string]string{"tier": "gold"}
		stored, err = db.Customer(ctx, "s1", "c1")
		must(t, err)
		equal(t, "calls (found)", found, []bool{true, true})
		equal(t, "answered customer", got, want)
		equal(t, "stored customer", stored, want)

		// A change that fails writes nothing, and creates no customer.
		_, err = db.UpdateCustomer(ctx, "s1", "c1", func(c *epilogue.Customer, ok bool) error {
			c.FirstName = "Bad"
			return epilogue.Invalid("first_name", "no")
		})
		code(t, "failed change", err, epilogue.EInvalid)
		stored, err = db.Customer(ctx, "s1", "c1")
		must(t, err)
		equal(t, "customer after a failed change", stored, want)
		_, err = db.UpdateCustomer(ctx, "s1", "c9", func(c *epilogue.Customer, ok bool) error {
			c.FirstName, c.CreatedAt = "Bad", t0
			return epilogue.Invalid("first_name", "no")
		})
		code(t, "failed creation", err, epilogue.EInvalid)
		_, err = db.Customer(ctx, "s1", "c9")
		code(t, "customer of a failed creation", err, epilogue.ENotFound)

		// An erasure in between: the change is applied again to the erased customer, and may
		// refuse it (as the API does).
		var erased []bool
		_, err = db.UpdateCustomer(ctx, "s1", "c1", func(c *epilogue.Customer, ok bool) error {
			if erased = append(erased, c.ErasedAt != nil); len(erased) == 1 {
				must(t, db.EraseCustomer(ctx, "s1", "c1", t0.Add(2*time.Hour)))
			}
			if c.ErasedAt != nil {
				return epilogue.Errorf(epilogue.EConflict, "erased")
			}
			c.FirstName = "Ana again"
			return nil
		})
		code(t, "a change of a customer erased meanwhile", err, epilogue.EConflict)
		stored, err = db.Customer(ctx, "s1", "c1")
		must(t, err)
		equal(t, "calls (erased)", erased, []bool{false, true})
		if stored.ErasedAt == nil || stored.FirstName != "" || stored.LastName != "" {
			t.Fatalf("a change made before an erasure was written after it: %+v", stored)
		}
		// Nor can a change undo the erasure.
		_, err = db.UpdateCustomer(ctx, "s1", "c1", func(c *epilogue.Customer, ok bool) error {
			c.ErasedAt, c.UpdatedAt = nil, t0.Add(3*time.Hour)
			return nil
		})
		must(t, err)
		if stored, err = db.Customer(ctx, "s1", "c1"); err != nil || stored.ErasedAt == nil || !stored.ErasedAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("erasure after a change that cleared it: %+v, %v", stored, err)
		}
	})
}

// Every put and erasure of a customer is in the activity log as customer_changed, committed
// with it, so other replicas reload the profile; an order's customer details are not.
func TestCustomerChangesAreLogged(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		newShop(t, db, "s1")
		c := customer("s1", "c1", "ada@example.com")
		_, err := db.UpdateCustomer(ctx, "s1", "c1", func(s *epilogue.Customer, _ bool) error { *s = *c; return nil })
		must(t, err)
		ingest(t, db, order("s1", "1001")) // customer c1 of the order
		must(t, db.EraseCustomer(ctx, "s1", "c1", t0.Add(time.Hour)))
		changes, last, err := db.CustomerChangesAfter(ctx, 0, 10)
		must(t, err)
		if len(changes) != 2 || changes[0].CustomerID != "c1" || changes[1].CustomerID != "c1" || changes[1].Kind != epilogue.ActivityCustomerChanged {
			t.Fatalf("changes: %+v", changes)
		}
		top, err := db.LastActivity(ctx)
		must(t, err)
		if last != changes[1].Seq || top != last {
			t.Fatalf("last change %d, last activity %d", last, top)
		}
		if more, after, err := db.CustomerChangesAfter(ctx, last, 10); err != nil || len(more) != 0 || after != last {
			t.Fatalf("after the last: %v %d %v", more, after, err)
		}
	})
}
