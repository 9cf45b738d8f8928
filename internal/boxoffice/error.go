// Package boxoffice holds the domain types and the error type that every
// other package speaks.
package boxoffice

import (
	"errors"
	"net/http"
)

// Error codes. Each maps to one HTTP status in Status; the code is what the
// JSON error body's "error" field says.
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

var statusOf = map[string]int{
	EINVALID:       http.StatusBadRequest,
	EUNAUTHORIZED:  http.StatusUnauthorized,
	EFORBIDDEN:     http.StatusForbidden,
	ENOTFOUND:      http.StatusNotFound,
	ECONFLICT:      http.StatusConflict,
	ESTALE:         http.StatusConflict,
	ERATELIMITED:   http.StatusTooManyRequests,
	EUNAVAILABLE:   http.StatusServiceUnavailable,
	EINTERNAL:      http.StatusInternalServerError,
	ERESERVECLOSED: http.StatusForbidden,
	ENOTELIGIBLE:   http.StatusForbidden,
	EMETHOD:        http.StatusMethodNotAllowed,
	ETOOLARGE:      http.StatusRequestEntityTooLarge,
	EPRECONDITION:  http.StatusPreconditionRequired,
}

// Error is an error a user may see: a code, a message for a person, and
// optional extra fields for the JSON body.
type Error struct {
	Code    string
	Message string
	Fields  map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the code and message.
func Errorf(code, message string) *Error { return &Error{Code: code, Message: message} }

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

// Status returns the HTTP status for an error code.
func Status(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Body returns the JSON body for err: internal errors get a plain message,
// so no detail leaks.
func Body(err error) (status int, body map[string]any) {
	var e *Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, map[string]any{"error": EINTERNAL, "message": "internal error"}
	}
	body = make(map[string]any, len(e.Fields)+2)
	for k, v := range e.Fields {
		body[k] = v
	}
	body["error"], body["message"] = e.Code, e.Message
	return Status(e.Code), body
}
