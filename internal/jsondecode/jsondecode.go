// Package jsondecode decodes one JSON value and turns every failure into an invalid_request
// error that names the field at fault, with array indices ("cart[1].price"): the API's request
// bodies and the webhook adapters' payloads share it.
package jsondecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/epiloguehq/epilogue"
)

// Options tune Decode.
type Options struct {
	Strict    bool   // refuse unknown fields (configuration, where a typo would do nothing)
	Patch     bool   // v holds a resource being updated: refuse a null its field would ignore
	UseNumber bool   // numbers in interface values stay json.Number
	What      string // what the bytes are, for messages ("request body", "webhook body")
}

// Decode unmarshals exactly one JSON value from b into v.
func Decode(b []byte, v any, o Options) error {
	if o.What == "" {
		o.What = "body"
	}
	var err error
	if o.UseNumber || o.Strict || o.Patch {
		dec := json.NewDecoder(bytes.NewReader(b))
		if o.UseNumber {
			dec.UseNumber()
		}
		if o.Strict {
			dec.DisallowUnknownFields()
		}
		if err = dec.Decode(v); err == nil {
			if _, extra := dec.Token(); extra != io.EOF {
				return epilogue.Errorf(epilogue.EInvalid, "%s must hold exactly one JSON value", o.What)
			}
			if o.Strict {
				if path, problem := keyProblem(b, reflect.TypeOf(v)); problem != "" {
					return epilogue.Invalid(path, "%s", problem)
				}
			}
			if o.Patch {
				return ignoredNull(b, v)
			}
			return nil
		}
	} else if err = json.Unmarshal(b, v); err == nil {
		// json.Unmarshal reads one value or fails: no Decoder, which copies the body into its
		// own buffer (every decision request comes this way).
		return nil
	}
	var syn *json.SyntaxError
	var te *json.UnmarshalTypeError
	var e *epilogue.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &syn):
		return epilogue.Errorf(epilogue.EInvalid, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return epilogue.Errorf(epilogue.EInvalid, "malformed JSON: unexpected end of input")
	case errors.As(err, &te):
		field := locate(b, reflect.TypeOf(v), te)
		if sub, msg, ok := epilogue.FieldMessage(te); ok {
			if sub != "" {
				field += "." + sub
			}
			return epilogue.Invalid(field, "%s", msg)
		}
		if field == "" {
			return epilogue.Errorf(epilogue.EInvalid, "%s must be a JSON object", o.What)
		}
		if num, ok := strings.CutPrefix(te.Value, "number "); ok {
			switch te.Type.Kind() {
			case reflect.Float64, reflect.Float32:
				return epilogue.Invalid(field, "%s is out of range", epilogue.Clip(num))
			case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8, reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
				if strings.ContainsAny(num, ".eE") {
					return epilogue.Invalid(field, "must be a whole number, not %s", epilogue.Clip(num))
				}
				return epilogue.Invalid(field, "%s is out of range", epilogue.Clip(num))
			}
		}
		return epilogue.Invalid(field, "must be %s, not %s", typeName(te.Type), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		field := name
		var root any
		if json.Unmarshal(b, &root) == nil {
			if p, ok := unknownAt(root, reflect.TypeOf(v), name); ok {
				field = strings.TrimPrefix(p, ".")
			}
		}
		return epilogue.Invalid(field, "unknown field %q", name)
	}
	return epilogue.Errorf(epilogue.EInvalid, "malformed JSON: %s", err.Error())
}

// keyProblem returns the path of the first key of b that is written twice in one object, or
// that names a struct field in other letter case than the field's JSON name, and what is wrong
// with it. encoding/json reads a repeated key as the last of them and matches names in any
// case: a proxy or log that reads the first, or the exact name, would see another request. t is
// the type b was decoded into; b is valid JSON (it decoded).
func keyProblem(b []byte, t reflect.Type) (path, problem string) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	path, problem = keysIn(dec, "", t)
	return strings.TrimPrefix(path, "."), problem
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// keysIn reads one value from dec, at path, of type t (nil when not known), and reports the
// first problem key in it.
func keysIn(dec *json.Decoder, path string, t reflect.Type) (string, string) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(unmarshalerType) || t.Kind() == reflect.Interface) {
		t = nil // it reads itself, or anything goes
	}
	tok, err := dec.Token()
	if err != nil {
		return "", ""
	}
	switch tok {
	case json.Delim('{'):
		keys := map[string]bool{}
		for dec.More() {
			tk, err := dec.Token()
			k, ok := tk.(string)
			if err != nil || !ok {
				return "", ""
			}
			if keys[k] {
				return path + "." + k, "appears twice: send each field once"
			}
			keys[k] = true
			var sub reflect.Type
			switch {
			case t != nil && t.Kind() == reflect.Struct:
				f, ft, _, exact, found := jsonField(t, k)
				if found && !exact {
					return path + "." + k, fmt.Sprintf("is written %q: field names are case-sensitive", f)
				}
				sub = ft
			case t != nil && t.Kind() == reflect.Map:
				sub = t.Elem()
			}
			if p, problem := keysIn(dec, path+"."+k, sub); problem != "" {
				return p, problem
			}
		}
		dec.Token() // }
	case json.Delim('['):
		var sub reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			sub = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if p, problem := keysIn(dec, path+"["+strconv.Itoa(i)+"]", sub); problem != "" {
				return p, problem
			}
		}
		dec.Token() // ]
	}
	return "", ""
}

// jsonField finds the field of struct type t that JSON key k decodes into, as encoding/json
// matches names (the exact name first, else one that differs only in case), embedded structs'
// fields promoted: its JSON name, type and index path, and whether k is its name exactly.
func jsonField(t reflect.Type, k string) (name string, typ reflect.Type, index []int, exact, found bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		n, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && n == "" {
			e := f.Type
			for e.Kind() == reflect.Pointer {
				e = e.Elem()
			}
			if e.Kind() == reflect.Struct {
				if en, et, ei, ex, ok := jsonField(e, k); ok && (ex || !found) {
					name, typ, index, exact, found = en, et, append([]int{i}, ei...), ex, true
					if ex {
						return
					}
				}
			}
			continue
		}
		if n == "" {
			n = f.Name
		}
		if n == k {
			return n, f.Type, []int{i}, true, true
		}
		if !found && strings.EqualFold(n, k) {
			name, typ, index, found = n, f.Type, []int{i}, true
		}
	}
	return name, typ, index, false, found
}

// locate turns encoding/json's dotted field path ("cart.price") into one with array indices
// ("cart[1].price") by finding the first element whose value does not decode.
func locate(b []byte, target reflect.Type, te *json.UnmarshalTypeError) string {
	if te.Field == "" {
		return ""
	}
	var root any
	if json.Unmarshal(b, &root) != nil {
		return te.Field
	}
	parts := strings.Split(te.Field, ".")
	if p, ok := walk(root, parts, te.Type, declared(target, parts).Kind() == reflect.Map); ok {
		return strings.TrimPrefix(p, ".")
	}
	return te.Field
}

// walk follows parts through the body v to the value that does not decode into leaf; inMap
// says the last part is a map, whose failing key is named too.
func walk(v any, parts []string, leaf reflect.Type, inMap bool) (string, bool) {
	if arr, ok := v.([]any); ok {
		for i, el := range arr {
			if p, ok := walk(el, parts, leaf, inMap); ok {
				return "[" + strconv.Itoa(i) + "]" + p, true
			}
		}
		return "", false
	}
	if len(parts) == 0 {
		raw, _ := json.Marshal(v)
		if json.Unmarshal(raw, reflect.New(leaf).Interface()) == nil {
			return "", false
		}
		// encoding/json names a map, not the key whose value failed: find that key.
		if obj, ok := v.(map[string]any); ok && inMap {
			for _, k := range sortedKeys(obj) {
				if p, ok := walk(obj[k], nil, leaf, false); ok {
					return "." + k + p, true
				}
			}
		}
		return "", true
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	child, ok := obj[parts[0]]
	if !ok {
		for k, c := range obj { // encoding/json matches names case-insensitively
			if strings.EqualFold(k, parts[0]) {
				child, ok = c, true
			}
		}
	}
	if !ok {
		return "", false
	}
	p, ok := walk(child, parts[1:], leaf, inMap)
	if !ok {
		return "", false
	}
	return "." + parts[0] + p, true
}

// unknownAt finds where in the decoded body v an object holds the key name that type t has no
// field for: encoding/json names only the key ("bogus"), the client needs its place
// ("targeting.bogus", "cart[2].bogus").
func unknownAt(v any, t reflect.Type, name string) (string, bool) {
	return search("", v, t, func(key string, _ any, t reflect.Type) bool { return t == nil && key == name })
}

// search walks the decoded body v alongside the Go type t it decodes into, depth first and in
// key order, and returns the path of the first value for which hit is true. hit sees each
// value with the key it is under ("" for the root and array elements) and its type: nil for a
// key that no field of its struct takes. Values of a type that reads its own JSON are not
// looked into.
func search(key string, v any, t reflect.Type, hit func(key string, v any, t reflect.Type) bool) (string, bool) {
	if hit(key, v, t) {
		return "", true
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(unmarshaler) {
		return "", false
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		arr, _ := v.([]any)
		for i, el := range arr {
			if p, ok := search("", el, t.Elem(), hit); ok {
				return "[" + strconv.Itoa(i) + "]" + p, true
			}
		}
	case reflect.Map, reflect.Struct:
		obj, _ := v.(map[string]any)
		var fields map[string]reflect.Type
		if t.Kind() == reflect.Struct {
			fields = jsonFields(t, nil)
		}
		for _, k := range sortedKeys(obj) {
			var ft reflect.Type
			if fields == nil {
				ft = t.Elem()
			} else {
				ft, _ = fieldType(fields, k)
			}
			if p, ok := search(k, obj[k], ft, hit); ok {
				return "." + k + p, true
			}
		}
	}
	return "", false
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// ignoredNull refuses a null that decoding skipped: encoding/json leaves a string, number,
// bool or struct field as it was when it meets null, so a PATCH with {"title":null} changed
// nothing and said so to no one (into a new value, such a null reads as the zero value, which
// is what a client sending it means, so only updates check). A null where the field can hold nothing (a pointer, list,
// map) clears it, as the client meant.
func ignoredNull(b []byte, v any) error {
	var root any
	if json.Unmarshal(b, &root) != nil {
		return nil
	}
	dropNullEntries(root, reflect.ValueOf(v))
	if p, ok := nullAt(root, reflect.TypeOf(v)); ok {
		return epilogue.Invalid(strings.TrimPrefix(p, "."), "must not be null: leave the field out to keep it as it is")
	}
	return nil
}

// dropNullEntries removes from the maps of rv (a resource a patch was decoded over) the keys
// the patch set to null, and those nulls from the patch's tree j: in a map that merges, null
// removes the one entry ({"metadata":{"a":null}}), as a whole map's null empties it. Decoding
// left such an entry as its zero value, which would be kept, or refused, as a value.
func dropNullEntries(j any, rv reflect.Value) {
	obj, ok := j.(map[string]any)
	if !ok {
		return
	}
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return
		}
		for k, x := range obj {
			if x == nil {
				rv.SetMapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()), reflect.Value{})
				delete(obj, k)
			}
		}
	case reflect.Struct:
		if reflect.PointerTo(rv.Type()).Implements(unmarshaler) {
			return
		}
		for k, x := range obj {
			if f, ok := fieldByJSONName(rv, k); ok && x != nil {
				dropNullEntries(x, f)
			}
		}
	}
}

// fieldByJSONName is the field of struct value rv that JSON key k decodes into (see jsonField);
// none behind a nil embedded pointer.
func fieldByJSONName(rv reflect.Value, k string) (reflect.Value, bool) {
	_, _, index, _, found := jsonField(rv.Type(), k)
	if !found {
		return reflect.Value{}, false
	}
	v, err := rv.FieldByIndexErr(index)
	return v, err == nil
}

// nullAt finds a null in v that decoding into t skips: one where the field cannot hold nothing.
func nullAt(v any, t reflect.Type) (string, bool) {
	return search("", v, t, func(_ string, v any, t reflect.Type) bool {
		if v != nil || t == nil {
			return false
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			return false // a null empties it
		}
		return true
	})
}

// declared is the type of the field at the dotted path parts of t, looking through pointers,
// slices and arrays on the way; an empty struct type when the path leads nowhere.
func declared(t reflect.Type, parts []string) reflect.Type {
	for _, part := range parts {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			return reflect.TypeFor[struct{}]()
		}
		ft, ok := fieldType(jsonFields(t, nil), part)
		if !ok {
			return reflect.TypeFor[struct{}]()
		}
		t = ft
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonFields lists the JSON names of t's fields with their types, embedded structs' promoted.
func jsonFields(t reflect.Type, into map[string]reflect.Type) map[string]reflect.Type {
	if into == nil {
		into = map[string]reflect.Type{}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if et := f.Type; et.Kind() == reflect.Struct || (et.Kind() == reflect.Pointer && et.Elem().Kind() == reflect.Struct) {
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				jsonFields(et, into)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
	return into
}

// fieldType finds key among fields as encoding/json does: exactly, else ignoring case.
func fieldType(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for n, t := range fields {
		if strings.EqualFold(n, key) {
			return t, true
		}
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
