package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/jsondecode"
)

// maxBody is the largest request body accepted.
const maxBody = 1 << 20

// readBody reads a JSON request body of at most maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return readBodyInto(w, r, nil)
}

// buffers are the decision path's body and answer buffers (see readBodyInto).
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readBodyInto is readBody appending to buf, so a caller that is done with the body before it
// answers (decoding copies what it keeps) can read every request into a pooled buffer.
func readBodyInto(w http.ResponseWriter, r *http.Request, buf []byte) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// text/plain lets browsers post without a CORS preflight (navigator.sendBeacon), and
		// curl -d sends form-urlencoded unless told otherwise: both still carry JSON.
		if err != nil || (mt != "application/json" && mt != "text/plain" && mt != "application/x-www-form-urlencoded") {
			return nil, &epilogue.Error{Code: codeUnsupportedMedia, Message: "send JSON with Content-Type: application/json"}
		}
	}
	b, err := readAll(http.MaxBytesReader(w, r.Body, maxBody), buf)
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
	// encoding/json would quietly turn each invalid byte into U+FFFD: titles would be stored
	// altered and ids would collide. JSON is UTF-8 (RFC 8259), so the body is refused instead.
	if !utf8.Valid(b) {
		return nil, epilogue.Errorf(epilogue.EInvalid, "request body is not valid UTF-8")
	}
	// The same for an escaped half of a surrogate pair ("\ud800" alone), which it decodes to
	// U+FFFD too.
	if i := loneSurrogate(b); i >= 0 {
		return nil, epilogue.Errorf(epilogue.EInvalid, "request body escapes half a surrogate pair at byte %d (\\u%s): that is no character", i, b[i+2:i+6])
	}
	return b, nil
}

// loneSurrogate returns where b escapes a UTF-16 surrogate that is not half of a pair (a high
// one followed by an escaped low one), or -1. Escapes are rare: bodies without one cost a scan.
func loneSurrogate(b []byte) int {
	hex4 := func(at int) (uint16, bool) {
		if at+6 > len(b) || b[at] != '\\' || b[at+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(b[at+2:at+6]), 16, 16)
		return uint16(n), err == nil
	}
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`\u`))
		if j < 0 {
			return -1
		}
		i += j
		// A backslash escaped before it (\\u in the JSON) makes it text, not an escape.
		k := i
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 1 {
			i += 2
			continue
		}
		c, ok := hex4(i)
		switch {
		case !ok || c < 0xd800 || c > 0xdfff:
			i += 2
		case c <= 0xdbff:
			if lo, ok := hex4(i + 6); ok && lo >= 0xdc00 && lo <= 0xdfff {
				i += 12
				continue
			}
			return i
		default:
			return i
		}
	}
}

// readAll is io.ReadAll appending to b.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// decode reads the body into v. strict refuses unknown fields (configuration resources, where
// a typo would silently do nothing; events, where it would drop a value). Orders and shipments
// are not strict: integrations forward their platform's objects, which carry more.
func decode(w http.ResponseWriter, r *http.Request, v any, strict bool) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	return unmarshal(b, v, strict)
}

// unmarshalPatch decodes a partial update over v, the resource as it is: strictly, as decode
// does, and a null that would leave a field unchanged is refused. The handlers read the body
// once and apply it in the store's read-change-write, again if the resource changed meanwhile.
func unmarshalPatch(b []byte, v any) error {
	return jsondecode.Decode(b, v, jsondecode.Options{Strict: true, Patch: true, UseNumber: true, What: "request body"})
}

// unmarshal decodes one JSON value and turns every decoding error into an invalid_request
// naming the field at fault.
func unmarshal(b []byte, v any, strict bool) error {
	return jsondecode.Decode(b, v, jsondecode.Options{Strict: strict, UseNumber: true, What: "request body"})
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
