package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"boxoffice/internal/boxoffice"
)

var statusOf = map[string]int{
	boxoffice.EINVALID:       http.StatusBadRequest,
	boxoffice.EUNAUTHORIZED:  http.StatusUnauthorized,
	boxoffice.EFORBIDDEN:     http.StatusForbidden,
	boxoffice.ENOTFOUND:      http.StatusNotFound,
	boxoffice.ECONFLICT:      http.StatusConflict,
	boxoffice.ESTALE:         http.StatusConflict,
	boxoffice.ERATELIMITED:   http.StatusTooManyRequests,
	boxoffice.EUNAVAILABLE:   http.StatusServiceUnavailable,
	boxoffice.EINTERNAL:      http.StatusInternalServerError,
	boxoffice.ERESERVECLOSED: http.StatusForbidden,
	boxoffice.ENOTELIGIBLE:   http.StatusForbidden,
	boxoffice.EMETHOD:        http.StatusMethodNotAllowed,
	boxoffice.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	boxoffice.EPRECONDITION:  http.StatusPreconditionRequired,
}

// Status returns the HTTP status for an error code.
func Status(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Body returns the HTTP status and JSON body for err: internal errors get
// a plain message, so no detail leaks.
func Body(err error) (status int, body map[string]any) {
	var e *boxoffice.Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, map[string]any{"error": boxoffice.EINTERNAL, "message": "internal error"}
	}
	body = make(map[string]any, len(e.Fields)+2)
	for k, v := range e.Fields {
		body[k] = v
	}
	body["error"], body["message"] = e.Code, e.Message
	return Status(e.Code), body
}

// WriteError writes err in the JSON error shape to a plain net/http
// response, with Retry-After on a 503.
func WriteError(w http.ResponseWriter, err error) {
	status, body := Body(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	WriteJSON(w, status, body)
}

// WriteJSON writes v as an uncacheable JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
