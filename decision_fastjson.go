package epilogue

import (
	"math"
	"unicode/utf8"
)

// This file is a hand-written decoder for the common shape of a decision request body.
// json.Unmarshal spends most of its time in reflection; a decision server decodes one request
// per decision, so that showed up as ~10% of its CPU. The fast path below accepts only a
// narrow, unambiguous subset of JSON and answers false for everything else, so the caller can
// fall back to json.Unmarshal, which stays the reference for the semantics and error messages.
//
// The rule that keeps it safe: DecodeRequestFast returns true only when it is certain that
// json.Unmarshal would succeed on the same bytes and produce a reflect.DeepEqual result.
// Anything that would need encoding/json's subtler rules falls back rather than imitating them:
//
//   - escapes in strings (\n, \u00e9, ...): unquoting rules, surrogate pairs;
//   - invalid UTF-8 in strings: encoding/json replaces each bad byte with U+FFFD;
//   - keys other than the exact field names: encoding/json also matches names case-insensitively
//     (with Unicode folding such as the Kelvin sign for 'k'), and ignores unknown ones;
//   - a field named twice in the same object: last-wins for scalars but merging for nested
//     structs and maps, and reset-and-refill for slices;
//   - null: leaves the field unchanged, and Amount has its own handling of it;
//   - the flat form's "attributes" (FlatAttributes has its own UnmarshalJSON with UseNumber);
//   - numbers other than plain integers for quantity (1.5, 1e2: errors or rounding rules),
//     and any value of a type that does not match its field.

// DecodeRequestFast decodes b into r when b is a decision request of the common, structured
// shape: a top-level object whose keys are among placement, transaction, customer, cart,
// context and explain, every string free of escapes, every value of its field's JSON type.
// r is reset to a zero DecisionRequest first, so its earlier contents never leak into the result.
//
// It returns false, with r in an unspecified state, whenever it is not certain to produce exactly
// what json.Unmarshal(b, r) would produce on a zero DecisionRequest; the caller then resets r and
// uses json.Unmarshal, which also produces the error messages.
//
// Every string in r is a copy: b may be reused as soon as DecodeRequestFast returns.
func DecodeRequestFast(b []byte, r *DecisionRequest) bool {
	*r = DecisionRequest{}
	d := fastDecoder{b: b}
	if !d.request(r) {
		return false
	}
	// encoding/json rejects anything but whitespace after the top-level value.
	d.skipWS()
	return d.i == len(d.b)
}

// fastDecoder is a cursor over a request body. Its methods skip the whitespace before the token
// they read and report false on anything outside the accepted subset; no method recurses more
// than the fixed depth of a request, so hostile nesting costs nothing.
type fastDecoder struct {
	b []byte
	i int
}

// Bits of the fields seen in one object, to fall back on a repeated key.
const (
	seenPlacement = 1 << iota
	seenTransaction
	seenCustomer
	seenCart
	seenContext
	seenExplain
)

func (d *fastDecoder) request(r *DecisionRequest) bool {
	var seen uint8
	return d.object(func(k []byte) (ok bool) {
		switch string(k) { // no allocation: the compiler compares the bytes in place
		case "placement":
			if ok = markSeen(&seen, seenPlacement); ok {
				r.Placement, ok = d.str()
			}
		case "transaction":
			if ok = markSeen(&seen, seenTransaction); ok {
				ok = d.transaction(&r.Transaction)
			}
		case "customer":
			if ok = markSeen(&seen, seenCustomer); ok {
				ok = d.customer(&r.Customer)
			}
		case "cart":
			if ok = markSeen(&seen, seenCart); ok {
				r.Cart, ok = d.cart()
			}
		case "context":
			if ok = markSeen(&seen, seenContext); ok {
				ok = d.context(&r.Context)
			}
		case "explain":
			if ok = markSeen(&seen, seenExplain); ok {
				r.Explain, ok = d.bool()
			}
		} // anything else ("attributes" of the flat form, other cases of a name, unknown keys) falls back
		return ok
	})
}

// object reads an object, calling field with each member's key to read its value; field
// reports false to fall back (an unknown or repeated key, a value outside the subset).
func (d *fastDecoder) object(field func(k []byte) bool) bool {
	more, ok := d.objectStart()
	if !ok {
		return false
	}
	for more {
		k, ok := d.key()
		if !ok || !field(k) {
			return false
		}
		if more, ok = d.next('}'); !ok {
			return false
		}
	}
	return true
}

func (d *fastDecoder) transaction(t *Transaction) bool {
	var seen uint8
	return d.object(func(k []byte) (ok bool) {
		switch string(k) {
		case "confirmationref":
			if ok = markSeen(&seen, 1<<0); ok {
				t.ConfirmationRef, ok = d.str()
			}
		case "amount":
			if ok = markSeen(&seen, 1<<1); ok {
				t.Amount, ok = d.amount()
			}
		case "currency":
			if ok = markSeen(&seen, 1<<2); ok {
				t.Currency, ok = d.str()
			}
		case "paymenttype":
			if ok = markSeen(&seen, 1<<3); ok {
				t.PaymentType, ok = d.str()
			}
		}
		return ok
	})
}

func (d *fastDecoder) customer(c *CustomerRef) bool {
	var seen uint8
	return d.object(func(k []byte) (ok bool) {
		switch string(k) {
		case "id":
			if ok = markSeen(&seen, 1<<0); ok {
				c.ID, ok = d.str()
			}
		case "email":
			if ok = markSeen(&seen, 1<<1); ok {
				c.Email, ok = d.str()
			}
		case "email_sha256":
			if ok = markSeen(&seen, 1<<2); ok {
				c.EmailSHA256, ok = d.str()
			}
		case "type":
			if ok = markSeen(&seen, 1<<3); ok {
				c.Type, ok = d.str()
			}
		case "attributes":
			if ok = markSeen(&seen, 1<<4); ok {
				c.Attributes, ok = d.stringMap()
			}
		}
		return ok
	})
}

// cart reads the array of cart items. Like encoding/json, an empty array gives a non-nil empty
// slice (an absent cart stays nil because this is never called).
func (d *fastDecoder) cart() ([]CartItem, bool) {
	d.skipWS()
	if !d.eat('[') {
		return nil, false
	}
	d.skipWS()
	if d.eat(']') {
		return []CartItem{}, true // non-nil; a zero-size allocation costs nothing
	}
	// Most carts have 1–4 lines: one allocation instead of growing 1→2→4.
	items := make([]CartItem, 0, 4)
	for {
		items = append(items, CartItem{})
		if !d.cartItem(&items[len(items)-1]) {
			return nil, false
		}
		more, ok := d.next(']')
		if !ok {
			return nil, false
		}
		if !more {
			return items, true
		}
	}
}

func (d *fastDecoder) cartItem(it *CartItem) bool {
	var seen uint8
	return d.object(func(k []byte) (ok bool) {
		switch string(k) {
		case "sku":
			if ok = markSeen(&seen, 1<<0); ok {
				it.SKU, ok = d.str()
			}
		case "product_id":
			if ok = markSeen(&seen, 1<<1); ok {
				it.ProductID, ok = d.str()
			}
		case "category":
			if ok = markSeen(&seen, 1<<2); ok {
				it.Category, ok = d.str()
			}
		case "price":
			if ok = markSeen(&seen, 1<<3); ok {
				it.Price, ok = d.amount()
			}
		case "quantity":
			if ok = markSeen(&seen, 1<<4); ok {
				it.Quantity, ok = d.int()
			}
		}
		return ok
	})
}

func (d *fastDecoder) context(c *RequestContext) bool {
	var seen uint8
	return d.object(func(k []byte) (ok bool) {
		switch string(k) {
		case "device":
			if ok = markSeen(&seen, 1<<0); ok {
				c.Device, ok = d.str()
			}
		case "country":
			if ok = markSeen(&seen, 1<<1); ok {
				c.Country, ok = d.str()
			}
		case "locale":
			if ok = markSeen(&seen, 1<<2); ok {
				c.Locale, ok = d.str()
			}
		case "page_url":
			if ok = markSeen(&seen, 1<<3); ok {
				c.PageURL, ok = d.str()
			}
		}
		return ok
	})
}

// stringMap reads an object of string values into a new map. Like encoding/json, an empty object
// gives a non-nil empty map, and a key given twice keeps its last value (encoding/json decodes
// each value afresh and stores it with SetMapIndex). Keys are arbitrary here, so only the
// string rules (no escapes, valid UTF-8) apply to them.
func (d *fastDecoder) stringMap() (map[string]string, bool) {
	m := make(map[string]string)
	ok := d.object(func(k []byte) (ok bool) {
		m[string(k)], ok = d.str()
		return ok
	})
	return m, ok
}

// markSeen records bit in *seen, reporting false when it was already there (a repeated key).
func markSeen(seen *uint8, bit uint8) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// skipWS skips the four whitespace bytes JSON allows between tokens.
func (d *fastDecoder) skipWS() {
	for d.i < len(d.b) && d.b[d.i] <= ' ' { // compact bodies: one comparison and done
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// eat consumes c if it is the next byte.
func (d *fastDecoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// objectStart consumes '{' and reports whether a member follows (false for "{}").
func (d *fastDecoder) objectStart() (more, ok bool) {
	d.skipWS()
	if !d.eat('{') {
		return false, false
	}
	d.skipWS()
	if d.eat('}') {
		return false, true
	}
	return true, true
}

// key reads a member name and the ':' after it. The name aliases b: use it only to compare, or
// copy it.
func (d *fastDecoder) key() ([]byte, bool) {
	k, ok := d.rawString()
	if !ok {
		return nil, false
	}
	d.skipWS()
	return k, d.eat(':')
}

// next consumes the ',' or the closing byte after a member or element, reporting whether
// another one follows. A trailing comma ("[1,]", `{"a":"b",}`) fails later, because what
// follows the comma must then be a value.
func (d *fastDecoder) next(closing byte) (more, ok bool) {
	d.skipWS()
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case ',':
			d.i++
			return true, true
		case closing:
			d.i++
			return false, true
		}
	}
	return false, false
}

// rawString reads a JSON string and returns its contents, aliasing b. It accepts only strings
// whose contents are their own value: no backslash escape, no control byte (invalid JSON), and
// valid UTF-8 (encoding/json would replace invalid bytes with U+FFFD).
func (d *fastDecoder) rawString() ([]byte, bool) {
	d.skipWS()
	if !d.eat('"') {
		return nil, false
	}
	// Locals rather than d.b and d.i: the compiler keeps them in registers for the loop.
	b, i := d.b, d.i
	ascii := true
	for {
		// Most bytes are plain ASCII: one table lookup each.
		for i < len(b) && plainStringByte[b[i]] {
			i++
		}
		if i == len(b) {
			return nil, false // unterminated
		}
		switch c := b[i]; {
		case c == '"':
			s := b[d.i:i]
			d.i = i + 1
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c < utf8.RuneSelf: // a backslash or a control byte
			return nil, false
		default: // part of a multi-byte sequence, checked at the end
			ascii = false
			i++
		}
	}
}

// plainStringByte tells the bytes that stand for themselves in a string and need no further
// look: printable ASCII other than '"' and '\\'.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string value and copies it: b is a pooled buffer that is reused after decoding.
func (d *fastDecoder) str() (string, bool) {
	s, ok := d.rawString()
	if !ok {
		return "", false
	}
	return string(s), true
}

// amount reads an Amount. Amount.UnmarshalJSON hands the raw contents of a string to ParseAmount
// and refuses numbers; with escapes ruled out by rawString, the contents are the same bytes.
// A failure falls back, so that json.Unmarshal produces the error.
func (d *fastDecoder) amount() (Amount, bool) {
	s, ok := d.rawString()
	if !ok {
		return 0, false
	}
	a, err := ParseAmount(string(s))
	return a, err == nil
}

// int reads a plain JSON integer: an optional minus and either 0 or digits not starting with 0.
// A fraction or exponent is left unread, so the caller's next() fails on it and falls back
// (encoding/json refuses 1.5 for an int, and 1e2 too). At most 18 digits always fit an int64;
// longer numbers fall back rather than check overflow here.
func (d *fastDecoder) int() (int, bool) {
	d.skipWS()
	neg := d.eat('-')
	start := d.i
	var n int64
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		n = n*10 + int64(d.b[d.i]-'0')
		d.i++
	}
	digits := d.i - start
	if digits == 0 || digits > 18 || (digits > 1 && d.b[start] == '0') {
		return 0, false
	}
	if neg {
		n = -n
	}
	if n < math.MinInt || n > math.MaxInt { // only on 32-bit platforms
		return 0, false
	}
	return int(n), true
}

// bool reads true or false. "truex" is caught by the caller's next().
func (d *fastDecoder) bool() (bool, bool) {
	d.skipWS()
	rest := d.b[d.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		d.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		d.i += 5
		return false, true
	}
	return false, false
}
