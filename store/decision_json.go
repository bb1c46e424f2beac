package store

import (
	"encoding/json"
	"strconv"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/jsonappend"
)

// appendDecisionLine writes the JSON of a decisionLine by hand. Every decision is recorded, and
// reflection-driven encoding was a tenth of a decision's cost over HTTP; the output is plain
// JSON that encoding/json reads back into decisionLine. It starts with the id, which is how a
// lookup finds its line in a batch without decoding the others.
func appendDecisionLine(b []byte, d *epilogue.Decision) []byte {
	b = append(b, `{"id":`...)
	b = jsonappend.String(b, d.ID)
	b = append(b, `,"placement_id":`...)
	b = jsonappend.String(b, d.PlacementID)
	b = append(b, `,"surface":`...)
	b = jsonappend.String(b, d.Surface)
	b = append(b, `,"arm":`...)
	b = jsonappend.String(b, d.Arm)
	b = append(b, `,"customer_key":`...)
	b = jsonappend.String(b, d.CustomerKey)
	b = append(b, `,"confirmation_ref":`...)
	b = jsonappend.String(b, d.ConfirmationRef)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, micros(d.Time), 10)
	b = append(b, `,"offers":`...)
	if d.Offers == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range d.Offers {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"offer_id":`...)
			b = jsonappend.String(b, o.OfferID)
			b = append(b, `,"position":`...)
			b = strconv.AppendInt(b, int64(o.Position), 10)
			b = append(b, `,"score":`...)
			b = jsonappend.Float(b, o.Score)
			b = append(b, `,"propensity":`...)
			b = jsonappend.Float(b, o.Propensity)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"candidates":`...)
	b = compactVerdicts(d.Candidates).appendJSON(b)
	b = append(b, `,"filtered":`...)
	if d.Filtered == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		first := true
		for k, n := range d.Filtered {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonappend.String(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, '}')
	}
	if d.NoOfferReason != "" {
		b = append(b, `,"no_offer_reason":`...)
		b = jsonappend.String(b, d.NoOfferReason)
	}
	if d.ModelVersion != "" {
		b = append(b, `,"model_version":`...)
		b = jsonappend.String(b, d.ModelVersion)
	}
	if d.Latency != 0 {
		b = append(b, `,"latency":`...)
		b = strconv.AppendInt(b, int64(d.Latency), 10)
	}
	if r := d.Request; r != nil {
		b = append(b, `,"request":`...)
		b = appendRequest(b, r)
	}
	if h := d.History; h != nil {
		b = append(b, `,"history":{"orders":`...)
		b = strconv.AppendInt(b, int64(h.Orders), 10)
		b = jsonappend.Strings(append(b, `,"categories":`...), h.Categories)
		b = jsonappend.Strings(append(b, `,"engaged":`...), h.Engaged)
		b = jsonappend.Strings(append(b, `,"dismissed":`...), h.Dismissed)
		b = append(b, '}')
	}
	if d.Returning {
		b = append(b, `,"returning":true`...)
	}
	return append(b, '}')
}

func appendRequest(b []byte, r *epilogue.DecisionRequest) []byte {
	b = append(b, `{"placement":`...)
	b = jsonappend.String(b, r.Placement)
	t := &r.Transaction
	b = append(b, `,"transaction":{"confirmationref":`...)
	b = jsonappend.String(b, t.ConfirmationRef)
	b = append(b, `,"amount":"`...)
	b = append(b, t.Amount.String()...)
	b = append(b, `","currency":`...)
	b = jsonappend.String(b, t.Currency)
	b = append(b, `,"paymenttype":`...)
	b = jsonappend.String(b, t.PaymentType)
	c := &r.Customer
	b = append(b, `},"customer":{"id":`...)
	b = jsonappend.String(b, c.ID)
	b = append(b, `,"email_sha256":`...)
	b = jsonappend.String(b, c.EmailSHA256)
	if len(c.Attributes) > 0 {
		b = append(b, `,"attributes":{`...)
		first := true
		for k, v := range c.Attributes {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonappend.String(b, k)
			b = append(b, ':')
			b = jsonappend.String(b, v)
		}
		b = append(b, '}')
	}
	if c.Type != "" {
		b = append(b, `,"type":`...)
		b = jsonappend.String(b, c.Type)
	}
	b = append(b, `},"cart":`...)
	if r.Cart == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, it := range r.Cart {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"sku":`...)
			b = jsonappend.String(b, it.SKU)
			b = append(b, `,"product_id":`...)
			b = jsonappend.String(b, it.ProductID)
			b = append(b, `,"category":`...)
			b = jsonappend.String(b, it.Category)
			b = append(b, `,"price":"`...)
			b = append(b, it.Price.String()...)
			b = append(b, `","quantity":`...)
			b = strconv.AppendInt(b, int64(it.Quantity), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	x := &r.Context
	b = append(b, `,"context":{"device":`...)
	b = jsonappend.String(b, x.Device)
	b = append(b, `,"country":`...)
	b = jsonappend.String(b, x.Country)
	b = append(b, `,"locale":`...)
	b = jsonappend.String(b, x.Locale)
	b = append(b, `,"page_url":`...)
	b = jsonappend.String(b, x.PageURL)
	b = append(b, '}')
	if len(r.Attributes) > 0 { // the flat form, normally folded away before a decision is recorded
		if raw, err := json.Marshal(r.Attributes); err == nil {
			b = append(b, `,"attributes":`...)
			b = append(b, raw...)
		}
	}
	if r.Explain {
		b = append(b, `,"explain":true`...)
	}
	return append(b, '}')
}
