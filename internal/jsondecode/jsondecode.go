// Package jsondecode decodes one JSON value and turns every failure into an invalid_request
// error that names the field at fault, with array indices ("cart[1].price"): the API's request
// bodies and the webhook adapters' payloads share it.
package jsondecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/epiloguehq/epilogue"
)

// Options tune Decode.
type Options struct {
	Strict    bool   // refuse unknown fields (configuration, where a typo would do nothing)
	UseNumber bool   // numbers in interface values stay json.Number
	What      string // what the bytes are, for messages ("request body", "webhook body")
}

// Decode unmarshals exactly one JSON value from b into v.
func Decode(b []byte, v any, o Options) error {
	if o.What == "" {
		o.What = "body"
	}
	var err error
	if o.UseNumber || o.Strict {
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
		field := locate(b, te)
		if sub, msg, ok := epilogue.FieldMessage(te); ok {
			if sub != "" {
				field += "." + sub
			}
			return epilogue.Invalid(field, "%s", msg)
		}
		if field == "" {
			return epilogue.Errorf(epilogue.EInvalid, "%s must be a JSON object", o.What)
		}
		return epilogue.Invalid(field, "must be %s, not %s", typeName(te.Type), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return epilogue.Invalid(name, "unknown field %q", name)
	}
	return epilogue.Errorf(epilogue.EInvalid, "malformed JSON: %s", err.Error())
}

// locate turns encoding/json's dotted field path ("cart.price") into one with array indices
// ("cart[1].price") by finding the first element whose value does not decode.
func locate(b []byte, te *json.UnmarshalTypeError) string {
	if te.Field == "" {
		return ""
	}
	var root any
	if json.Unmarshal(b, &root) != nil {
		return te.Field
	}
	if p, ok := walk(root, strings.Split(te.Field, "."), te.Type); ok {
		return strings.TrimPrefix(p, ".")
	}
	return te.Field
}

func walk(v any, parts []string, leaf reflect.Type) (string, bool) {
	if arr, ok := v.([]any); ok {
		for i, el := range arr {
			if p, ok := walk(el, parts, leaf); ok {
				return "[" + strconv.Itoa(i) + "]" + p, true
			}
		}
		return "", false
	}
	if len(parts) == 0 {
		raw, _ := json.Marshal(v)
		return "", json.Unmarshal(raw, reflect.New(leaf).Interface()) != nil
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
	p, ok := walk(child, parts[1:], leaf)
	if !ok {
		return "", false
	}
	return "." + parts[0] + p, true
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
