package epilogue

import (
	"errors"
	"fmt"
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
	return &Error{Code: ENotFound, Message: fmt.Sprintf("%s %q not found", kind, id)}
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
