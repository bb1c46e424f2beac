package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/epiloguehq/epilogue"
)

// maxBody is the largest request body accepted.
const maxBody = 1 << 20

// readBody reads a JSON request body of at most maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// text/plain lets browsers post without a CORS preflight (navigator.sendBeacon), and
		// curl -d sends form-urlencoded unless told otherwise: both still carry JSON.
		if err != nil || (mt != "application/json" && mt != "text/plain" && mt != "application/x-www-form-urlencoded") {
			return nil, &epilogue.Error{Code: codeUnsupportedMedia, Message: "send JSON with Content-Type: application/json"}
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, epilogue.Errorf(epilogue.ETooLarge, "request body exceeds %d bytes", maxBody)
		}
		return nil, epilogue.Errorf(epilogue.EInvalid, "could not read request body")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, epilogue.Errorf(epilogue.EInvalid, "request body is empty; send a JSON object")
	}
	return b, nil
}

// decode reads the body into v. strict refuses unknown fields (configuration resources, where
// a typo would silently do nothing).
func decode(w http.ResponseWriter, r *http.Request, v any, strict bool) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	return unmarshal(b, v, strict)
}

// unmarshal decodes one JSON value and turns every decoding error into an invalid_request
// naming the field at fault.
func unmarshal(b []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return epilogue.Errorf(epilogue.EInvalid, "request body must hold exactly one JSON value")
		}
		return nil
	}
	return jsonError(b, err)
}

func jsonError(b []byte, err error) error {
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
			return epilogue.Errorf(epilogue.EInvalid, "request body must be a JSON object")
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

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"could not encode the answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
