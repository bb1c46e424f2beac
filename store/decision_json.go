package store

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/epiloguehq/epilogue"
)

// appendDecisionLine writes the JSON of a decisionLine by hand. Every decision is recorded, and
// reflection-driven encoding was a tenth of a decision's cost over HTTP; the output is plain
// JSON that encoding/json reads back into decisionLine. It starts with the id, which is how a
// lookup finds its line in a batch without decoding the others.
func appendDecisionLine(b []byte, d *epilogue.Decision) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, d.ID)
	b = append(b, `,"placement_id":`...)
	b = appendString(b, d.PlacementID)
	b = append(b, `,"surface":`...)
	b = appendString(b, d.Surface)
	b = append(b, `,"arm":`...)
	b = appendString(b, d.Arm)
	b = append(b, `,"customer_key":`...)
	b = appendString(b, d.CustomerKey)
	b = append(b, `,"confirmation_ref":`...)
	b = appendString(b, d.ConfirmationRef)
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
			b = appendString(b, o.OfferID)
			b = append(b, `,"position":`...)
			b = strconv.AppendInt(b, int64(o.Position), 10)
			b = append(b, `,"score":`...)
			b = appendFloat(b, o.Score)
			b = append(b, `,"propensity":`...)
			b = appendFloat(b, o.Propensity)
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
			b = appendString(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, '}')
	}
	if d.NoOfferReason != "" {
		b = append(b, `,"no_offer_reason":`...)
		b = appendString(b, d.NoOfferReason)
	}
	if d.ModelVersion != "" {
		b = append(b, `,"model_version":`...)
		b = appendString(b, d.ModelVersion)
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
		b = appendStrings(append(b, `,"categories":`...), h.Categories)
		b = appendStrings(append(b, `,"engaged":`...), h.Engaged)
		b = appendStrings(append(b, `,"dismissed":`...), h.Dismissed)
		b = append(b, '}')
	}
	if d.Returning {
		b = append(b, `,"returning":true`...)
	}
	return append(b, '}')
}

func appendRequest(b []byte, r *epilogue.DecisionRequest) []byte {
	b = append(b, `{"placement":`...)
	b = appendString(b, r.Placement)
	t := &r.Transaction
	b = append(b, `,"transaction":{"confirmationref":`...)
	b = appendString(b, t.ConfirmationRef)
	b = append(b, `,"amount":"`...)
	b = append(b, t.Amount.String()...)
	b = append(b, `","currency":`...)
	b = appendString(b, t.Currency)
	b = append(b, `,"paymenttype":`...)
	b = appendString(b, t.PaymentType)
	c := &r.Customer
	b = append(b, `},"customer":{"id":`...)
	b = appendString(b, c.ID)
	b = append(b, `,"email_sha256":`...)
	b = appendString(b, c.EmailSHA256)
	if len(c.Attributes) > 0 {
		b = append(b, `,"attributes":{`...)
		first := true
		for k, v := range c.Attributes {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, v)
		}
		b = append(b, '}')
	}
	if c.Type != "" {
		b = append(b, `,"type":`...)
		b = appendString(b, c.Type)
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
			b = appendString(b, it.SKU)
			b = append(b, `,"product_id":`...)
			b = appendString(b, it.ProductID)
			b = append(b, `,"category":`...)
			b = appendString(b, it.Category)
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
	b = appendString(b, x.Device)
	b = append(b, `,"country":`...)
	b = appendString(b, x.Country)
	b = append(b, `,"locale":`...)
	b = appendString(b, x.Locale)
	b = append(b, `,"page_url":`...)
	b = appendString(b, x.PageURL)
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

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendFloat writes a score or probability to six significant digits (JSON has no NaN or
// infinity: those are written as 0).
func appendFloat(b []byte, f float64) []byte {
	if f != f || f > 1e300 || f < -1e300 {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, f, 'g', 6, 64)
}

// appendString writes s as a JSON string: quotes, backslashes and control characters escaped,
// invalid UTF-8 replaced.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
