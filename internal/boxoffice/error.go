// Package boxoffice is the domain: the catalog's and the sale's types,
// their states and rules, and the error type that every other package
// speaks. It depends on no adapter (database, Redis, HTTP).
package boxoffice

import (
	"errors"
	"fmt"
)

// Error codes. The code is what the JSON error body's "error" field says;
// package web maps each to its HTTP status.
const (
	EINVALID       = "bad_request"
	EUNAUTHORIZED  = "unauthorized"
	EFORBIDDEN     = "forbidden"
	ENOTFOUND      = "not_found"
	ECONFLICT      = "conflict"
	ESTALE         = "version_conflict"
	ERATELIMITED   = "rate_limited"
	EUNAVAILABLE   = "unavailable"
	EINTERNAL      = "internal"
	ERESERVECLOSED = "reservation_closed"
	ENOTELIGIBLE   = "not_eligible"
	EMETHOD        = "method_not_allowed"
	ETOOLARGE      = "payload_too_large"
	EPRECONDITION  = "precondition_required"
)

// Error is an error a user may see: a code, a message for a person, and
// optional extra fields for the JSON body.
type Error struct {
	Code    string
	Message string
	Fields  map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the code and a message formatted as by
// fmt.Sprintf.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with an extra body field.
func (e *Error) With(key string, value any) *Error {
	f := make(map[string]any, len(e.Fields)+1)
	for k, v := range e.Fields {
		f[k] = v
	}
	f[key] = value
	return &Error{Code: e.Code, Message: e.Message, Fields: f}
}

// ErrorCode returns the code of err, or EINTERNAL if it is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
