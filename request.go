package epilogue

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on a decision request.
const (
	maxCartItems     = 100
	maxAttributes    = 50
	maxAttributeSize = 256
)

// flatFields maps the flat attribute names that checkout integrations send onto the
// structured request, by folded name (see flatKey: "customer_id", "customerId" and
// "CUSTOMERID" are one name); any other attribute becomes a customer attribute. path is the
// structured field it fills, so an error there names the attribute that was sent instead.
var flatFields = map[string]struct {
	path string
	set  func(r *DecisionRequest, v string) error
}{
	"email":           {"customer.email", func(r *DecisionRequest, v string) error { r.Customer.Email = v; return nil }},
	"emailaddress":    {"customer.email", func(r *DecisionRequest, v string) error { r.Customer.Email = v; return nil }},
	"emailsha256":     {"customer.email_sha256", func(r *DecisionRequest, v string) error { r.Customer.EmailSHA256 = v; return nil }},
	"customerid":      {"customer.id", func(r *DecisionRequest, v string) error { r.Customer.ID = v; return nil }},
	"customertype":    {"customer.type", func(r *DecisionRequest, v string) error { r.Customer.Type = v; return nil }},
	"confirmationref": {"transaction.confirmationref", func(r *DecisionRequest, v string) error { r.Transaction.ConfirmationRef = v; return nil }},
	"currency":        {"transaction.currency", func(r *DecisionRequest, v string) error { r.Transaction.Currency = v; return nil }},
	"paymenttype":     {"transaction.paymenttype", func(r *DecisionRequest, v string) error { r.Transaction.PaymentType = v; return nil }},
	"country":         {"context.country", func(r *DecisionRequest, v string) error { r.Context.Country = v; return nil }},
	"device":          {"context.device", func(r *DecisionRequest, v string) error { r.Context.Device = v; return nil }},
	"locale":          {"context.locale", func(r *DecisionRequest, v string) error { r.Context.Locale = v; return nil }},
	"language":        {"context.locale", func(r *DecisionRequest, v string) error { r.Context.Locale = v; return nil }},
	"amount": {"transaction.amount", func(r *DecisionRequest, v string) error {
		a, err := ParseAmount(v)
		if err != nil {
			return Prefix("amount", err)
		}
		r.Transaction.Amount = a
		return nil
	}},
	"cartitems": {"cart", func(r *DecisionRequest, v string) error {
		items, err := flatCart(v)
		r.Cart = items
		return err
	}},
}

// flatKey folds a flat attribute's name: lower case, without the separators integrations
// disagree on ("customer_id", "customer-id", "customerId").
func flatKey(k string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == ' ' || r == '.' {
			return -1
		}
		return unicode.ToLower(r)
	}, k)
}

// flatCart reads the flat form's cart: a JSON array of items whose price, like the flat
// amount, may be a number or a string (integrations send both; a number is read as written,
// not through a float), and whose quantity may be a number or a numeric string. Other keys
// of an item (names, brands) are ignored, as for the structured form.
func flatCart(v string) ([]CartItem, error) {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var raw []map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, Invalid("cartitems", "must be a JSON array of cart items: %s", jsonMessage(err))
	}
	items := make([]CartItem, len(raw))
	for i, m := range raw {
		at := func(k string) string { return "cartitems[" + strconv.Itoa(i) + "]." + k }
		for k, x := range m {
			s, ok := scalar(x)
			if !ok {
				return nil, Invalid(at(strings.ToLower(k)), "must be a string or number")
			}
			switch strings.ToLower(k) {
			case "sku":
				items[i].SKU = s
			case "product_id":
				items[i].ProductID = s
			case "category":
				items[i].Category = s
			case "price":
				a, err := ParseAmount(s)
				if err != nil {
					return nil, Invalid(at("price"), "%s", err.(*Error).Message)
				}
				items[i].Price = a
			case "quantity":
				q, err := strconv.Atoi(s)
				if err != nil {
					return nil, Invalid(at("quantity"), "must be a whole number, not %q", Clip(s))
				}
				items[i].Quantity = q
			}
		}
	}
	return items, nil
}

// piiFlat reports a flat attribute (by folded name) that identifies a person and is neither
// needed to decide nor kept: it is dropped at the edge. Names, and anything that holds an
// address, a phone number or a postcode, whatever the integration calls it.
func piiFlat(key string) bool {
	switch key {
	case "name", "firstname", "lastname", "fullname", "givenname", "familyname", "surname", "mobile":
		return true
	}
	for _, part := range []string{"address", "phone", "zip", "postcode", "postalcode", "street"} {
		if strings.Contains(key, part) {
			return true
		}
	}
	return false
}

// applyFlat folds the flat attribute form into the structured fields. Structured fields that
// are already set win. Attributes are read in the order of their names, so that a request is
// read the same way every time; two names of one field with different values are refused,
// naming both. It returns, for each structured field it filled, the attribute it came from.
func (r *DecisionRequest) applyFlat() (map[string]string, error) {
	if len(r.Attributes) == 0 {
		return nil, nil
	}
	if len(r.Attributes) > maxAttributes*2 {
		return nil, Invalid("attributes", "at most %d attributes", maxAttributes*2)
	}
	flat := DecisionRequest{}
	from := map[string]string{} // structured path -> the attribute that set it
	values := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(r.Attributes)) {
		raw := r.Attributes[k]
		field := "attributes." + k
		key := flatKey(k)
		if key == "cartitems" {
			if arr, ok := raw.([]any); ok { // an array sent as JSON rather than as a string
				b, _ := json.Marshal(arr)
				raw = string(b)
			}
		}
		v, ok := scalar(raw)
		if !ok {
			return nil, Invalid(field, "must be a string, number or boolean")
		}
		if f, known := flatFields[key]; known {
			if other, seen := from[f.path]; seen {
				if values[f.path] != v {
					return nil, Invalid(field, "names the same field as %q, with another value", other)
				}
				continue
			}
			if err := f.set(&flat, v); err != nil {
				return nil, Prefix("attributes", err)
			}
			from[f.path], values[f.path] = k, v
			continue
		}
		if piiFlat(key) {
			continue
		}
		if flat.Customer.Attributes == nil {
			flat.Customer.Attributes = map[string]string{}
		}
		flat.Customer.Attributes[k] = v
		from["customer.attributes."+k] = k
	}
	mergeFlat(r, &flat, from)
	r.Attributes = nil
	return from, nil
}

// asSent renames the field of a validation error in a structured field that the flat form
// filled to the attribute that was sent: "customer.email" becomes "attributes.email",
// "cart[0].quantity" "attributes.cartitems[0].quantity".
func asSent(err error, from map[string]string) error {
	e, ok := err.(*Error)
	if !ok || e.Field == "" || len(from) == 0 {
		return err
	}
	for path, k := range from {
		rest, found := strings.CutPrefix(e.Field, path)
		if !found || (rest != "" && rest[0] != '.' && rest[0] != '[') {
			continue
		}
		c := *e
		c.Field = "attributes." + k + rest
		return &c
	}
	return err
}

// mergeFlat fills r's empty fields from the flat form's f, and forgets in from the fields it
// did not fill (the structured value won).
func mergeFlat(r, f *DecisionRequest, from map[string]string) {
	str := func(path string, dst *string, v string) {
		if *dst == "" {
			*dst = v
		} else {
			delete(from, path)
		}
	}
	str("customer.email", &r.Customer.Email, f.Customer.Email)
	str("customer.email_sha256", &r.Customer.EmailSHA256, f.Customer.EmailSHA256)
	str("customer.id", &r.Customer.ID, f.Customer.ID)
	str("customer.type", &r.Customer.Type, f.Customer.Type)
	str("transaction.confirmationref", &r.Transaction.ConfirmationRef, f.Transaction.ConfirmationRef)
	str("transaction.currency", &r.Transaction.Currency, f.Transaction.Currency)
	str("transaction.paymenttype", &r.Transaction.PaymentType, f.Transaction.PaymentType)
	str("context.country", &r.Context.Country, f.Context.Country)
	str("context.device", &r.Context.Device, f.Context.Device)
	str("context.locale", &r.Context.Locale, f.Context.Locale)
	if r.Transaction.Amount == 0 {
		r.Transaction.Amount = f.Transaction.Amount
	} else {
		delete(from, "transaction.amount")
	}
	if len(r.Cart) == 0 {
		r.Cart = f.Cart
	} else {
		delete(from, "cart")
	}
	for k, v := range f.Customer.Attributes {
		if r.Customer.Attributes == nil {
			r.Customer.Attributes = map[string]string{}
		}
		if _, set := r.Customer.Attributes[k]; !set {
			r.Customer.Attributes[k] = v
		} else {
			delete(from, "customer.attributes."+k)
		}
	}
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "", true
	}
	return "", false
}

// Normalize folds the flat form into the structured one, validates every field, hashes a raw
// email and drops it, and puts labels in canonical form so both forms of one request are
// treated the same.
func (r *DecisionRequest) Normalize() error {
	from, err := r.applyFlat()
	if err != nil {
		return err
	}
	return asSent(r.check(), from)
}

// check validates every field and puts labels in canonical form (see Normalize).
func (r *DecisionRequest) check() error {
	if r.Placement == "" {
		return Invalid("placement", "is required")
	}
	if !ValidExternalID(r.Placement) {
		return Invalid("placement", "must be 1 to 128 characters without spaces")
	}
	c := &r.Customer
	if c.Email != "" {
		if len(c.Email) > 320 || !strings.Contains(c.Email, "@") {
			return Invalid("customer.email", "is not an email address")
		}
		if c.EmailSHA256 == "" {
			c.EmailSHA256 = EmailSHA256(c.Email)
		}
		c.Email = ""
	}
	if c.EmailSHA256 != "" {
		c.EmailSHA256 = strings.ToLower(c.EmailSHA256)
		if len(c.EmailSHA256) != 64 || strings.Trim(c.EmailSHA256, "0123456789abcdef") != "" {
			return Invalid("customer.email_sha256", "must be 64 hexadecimal characters")
		}
	}
	if c.ID != "" && !ValidExternalID(c.ID) {
		return Invalid("customer.id", "must be 1 to 128 characters without spaces")
	}
	if c.Type != "" && c.Type != "new" && c.Type != "returning" {
		return Invalid("customer.type", "must be new or returning")
	}
	if len(c.Attributes) > maxAttributes {
		return Invalid("customer.attributes", "at most %d attributes", maxAttributes)
	}
	for k, v := range c.Attributes {
		// Counted in characters, as PUT /v1/customers counts them: 100 kanji are 300 bytes.
		if k == "" || len(k) > 4*64 || utf8.RuneCountInString(k) > 64 || len(v) > 4*maxAttributeSize ||
			utf8.RuneCountInString(v) > maxAttributeSize {
			return Invalid("customer.attributes."+k, "names are 1 to 64 and values at most %d characters", maxAttributeSize)
		}
		if NoControl("", k, false) != nil || NoControl("", v, false) != nil {
			return NoControl("customer.attributes."+k, k+v, false) // the rare failure names the character
		}
	}
	t := &r.Transaction
	if t.Currency != "" && !ValidCurrency(t.Currency) {
		return Invalid("transaction.currency", "unknown ISO 4217 currency %q", t.Currency)
	}
	if len(t.ConfirmationRef) > 128 {
		return Invalid("transaction.confirmationref", "must be at most 128 characters")
	}
	if err := NoControl("transaction.confirmationref", t.ConfirmationRef, false); err != nil {
		return err
	}
	t.PaymentType = Fold(t.PaymentType)
	if len(r.Cart) > maxCartItems {
		return Invalid("cart", "at most %d items", maxCartItems)
	}
	for i := range r.Cart {
		it := &r.Cart[i]
		f := "cart[" + strconv.Itoa(i) + "]"
		if len(it.SKU) > 128 || len(it.ProductID) > 128 || len(it.Category) > 128 {
			return Invalid(f, "sku, product_id and category are at most 128 characters")
		}
		if it.Quantity < 0 || it.Quantity > 10000 {
			return Invalid(f+".quantity", "must be between 0 and 10000")
		}
		if it.Quantity == 0 {
			it.Quantity = 1
		}
		it.Category = Fold(it.Category)
	}
	x := &r.Context
	if x.Country != "" {
		x.Country = strings.ToUpper(strings.TrimSpace(x.Country))
		if !validCountry(x.Country) {
			return Invalid("context.country", "must be an ISO 3166-1 alpha-2 code")
		}
	}
	if x.Device != "" {
		x.Device = Fold(x.Device)
		if !oneOf(x.Device, Devices) {
			return Invalid("context.device", "unknown device %q; one of %v", x.Device, Devices)
		}
	}
	if len(x.Locale) > 35 {
		return Invalid("context.locale", "must be a BCP 47 tag")
	}
	x.Locale = Fold(x.Locale)
	if len(x.PageURL) > 2048 {
		return Invalid("context.page_url", "must be at most 2048 characters")
	}
	return nil
}

// jsonMessage turns a JSON decoding error into a short sentence.
func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok {
		return "field " + te.Field + " must be " + te.Type.String()
	}
	return err.Error()
}

func asType(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}
