package epilogue

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Error codes. The HTTP layer maps each to one status in a single table.
const (
	EInvalid      = "invalid_request"
	EUnauthorized = "unauthorized"
	EForbidden    = "forbidden"
	ENotFound     = "not_found"
	EConflict     = "conflict"
	ETooLarge     = "too_large"
	EUnavailable  = "unavailable"
	EInternal     = "internal"
)

// Error is the one error type of Epilogue: a code a client can switch on, a message a person can
// read and, for validation errors, the JSON path of the field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid_request error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Message: fmt.Sprintf(format, args...), Field: field}
}

// NotFound returns a not_found error for a resource kind and id.
func NotFound(kind, id string) *Error {
	return &Error{Code: ENotFound, Message: fmt.Sprintf("%s %q not found", kind, Clip(id))}
}

// Clip shortens what a client sent for quoting in a message: a 100 KB id echoed back helps no
// one and makes every error log line that size.
func Clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ErrorCode returns the code of an *Error in err's chain, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Prefix returns a copy of err with its field path prefixed (for errors found in nested values).
func Prefix(prefix string, err error) error {
	var e *Error
	if !errors.As(err, &e) || prefix == "" {
		return err
	}
	c := *e
	switch {
	case c.Field == "":
		c.Field = prefix
	case c.Field[0] == '[':
		c.Field = prefix + c.Field
	default:
		c.Field = prefix + "." + c.Field
	}
	return &c
}

// FieldError is what custom JSON decoders of domain types return: encoding/json adds the path
// of the field being decoded to an *json.UnmarshalTypeError (and to no other error), so the
// message travels in its Value and the API can name the field at fault. sub names a part
// inside the value ("start" of a schedule), or is empty. FieldMessage reads it back.
func FieldError(t reflect.Type, sub, message string) error {
	return &json.UnmarshalTypeError{Value: fieldErrorMark + sub + fieldErrorMark + message, Type: t}
}

const fieldErrorMark = "\x00"

// FieldMessage returns the sub-field and message of an error made by FieldError.
func FieldMessage(te *json.UnmarshalTypeError) (sub, message string, ok bool) {
	rest, ok := strings.CutPrefix(te.Value, fieldErrorMark)
	if !ok {
		return "", "", false
	}
	sub, message, _ = strings.Cut(rest, fieldErrorMark)
	return sub, message, true
}
