package journey

import (
	"context"
	"strings"

	"github.com/epiloguehq/epilogue"
)

// subject is what one enrollment's steps read: its order, customer and shipment, each loaded
// once per run and only when a step needs it. A read that fails for another reason than "not
// found" stops the run, which is tried again later.
type subject struct {
	ctx    context.Context
	store  Store
	orders Orders
	shopID string
	en     *Enrollment
	*records
}

// records are what was read for one activity or enrollment; the enrollments one activity
// starts share them, since they are about the same order, customer and shipment.
type records struct {
	order    *epilogue.Order
	customer *epilogue.Customer
	shipment *epilogue.Shipment
	loaded   [3]bool
	err      error
}

// fail records a read error other than "not found" and reports whether there was one; the
// record stays unloaded, so a later step reads it again.
func (x *subject) fail(err error) bool {
	if err == nil || epilogue.ErrorCode(err) == epilogue.ENotFound {
		return false
	}
	if x.err == nil {
		x.err = err
	}
	return true
}

// Order returns the enrollment's order, or nil.
func (x *subject) Order() *epilogue.Order {
	if !x.loaded[0] && x.orders != nil && x.en.OrderID != "" {
		o, err := x.orders.Order(x.ctx, x.shopID, x.en.OrderID)
		if x.fail(err) {
			return nil
		}
		x.order, x.loaded[0] = o, true
	}
	return x.order
}

// Customer returns the enrollment's customer (the order's, when the activity named none), or nil.
func (x *subject) Customer() *epilogue.Customer {
	if x.loaded[1] {
		return x.customer
	}
	id := x.en.CustomerID
	o := x.Order()
	if id == "" && o != nil {
		id = o.CustomerID
	}
	if id != "" {
		c, err := x.store.Customer(x.ctx, x.shopID, id)
		if x.fail(err) {
			return nil
		}
		x.customer = c
	}
	if x.customer == nil && o != nil && o.Customer != nil {
		x.customer = o.Customer
	}
	x.loaded[1] = x.err == nil
	return x.customer
}

// Shipment returns the enrollment's shipment, or nil.
func (x *subject) Shipment() *epilogue.Shipment {
	if !x.loaded[2] && x.orders != nil && x.en.ShipmentID != "" {
		s, err := x.orders.Shipment(x.ctx, x.shopID, x.en.ShipmentID)
		if x.fail(err) {
			return nil
		}
		x.shipment, x.loaded[2] = s, true
	}
	return x.shipment
}

// vars returns the values a condition reads, loading only the records it needs.
func (x *subject) vars(e *Expr) Vars {
	v := Vars{
		"trigger.event":  strVal(x.en.State.Trigger.Kind),
		"trigger.status": strVal(x.en.State.Trigger.Status),
		"order.id":       strVal(x.en.OrderID),
		"shipment.id":    strVal(x.en.ShipmentID),
		"customer.id":    strVal(x.en.CustomerID),
	}
	if e.reads.order {
		if o := x.Order(); o != nil {
			orderVars(v, o)
		}
	}
	if e.reads.customer {
		if c := x.Customer(); c != nil {
			customerVars(v, c)
		}
	}
	if e.reads.shipment {
		if s := x.Shipment(); s != nil {
			v["shipment.status"] = strVal(s.Status)
			v["shipment.carrier"] = strVal(s.Carrier)
		} else if x.en.State.Trigger.Kind == epilogue.ActivityShipmentStatus {
			v["shipment.status"] = strVal(x.en.State.Trigger.Status)
		}
	}
	return v
}

func orderVars(v Vars, o *epilogue.Order) {
	var qty int
	var cats, skus, products []string
	replenishable := false
	for _, it := range o.Items {
		qty += it.Quantity
		cats = appendNew(cats, it.Category)
		skus = appendNew(skus, it.SKU)
		products = appendNew(products, it.ProductID)
		replenishable = replenishable || it.ReplenishAfter > 0
	}
	v["order.total"] = numVal(o.Total.Float())
	v["order.currency"] = strVal(o.Currency)
	v["order.status"] = strVal(o.Status)
	v["order.source"] = strVal(o.Source)
	v["order.item_count"] = numVal(float64(len(o.Items)))
	v["order.quantity"] = numVal(float64(qty))
	v["order.categories"] = listVal(cats)
	v["order.skus"] = listVal(skus)
	v["order.product_ids"] = listVal(products)
	v["order.replenishable"] = boolVal(replenishable)
}

func customerVars(v Vars, c *epilogue.Customer) {
	locale := strings.ReplaceAll(c.Locale, "_", "-")
	lang, _, _ := strings.Cut(locale, "-")
	v["customer.id"] = strVal(c.ID)
	v["customer.locale"] = strVal(locale)
	v["customer.language"] = strVal(strings.ToLower(lang))
	v["customer.timezone"] = strVal(c.Timezone)
	v["customer.first_name"] = strVal(c.FirstName)
	v["customer.has_email"] = boolVal(c.Email != "")
	v["customer.has_phone"] = boolVal(c.Phone != "")
	v["customer.consent.email"] = boolPtr(c.Consent.Email)
	v["customer.consent.sms"] = boolPtr(c.Consent.SMS)
	v["customer.consent.marketing"] = boolPtr(c.Consent.Marketing)
	v["customer.consent.partners"] = boolPtr(c.Consent.Partners)
	for k, a := range c.Attributes {
		v[attributePrefix+k] = strVal(a)
	}
}

func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
