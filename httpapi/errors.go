package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/epiloguehq/epilogue"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	epilogue.EInvalid:      http.StatusBadRequest,
	epilogue.EUnauthorized: http.StatusUnauthorized,
	epilogue.EForbidden:    http.StatusForbidden,
	epilogue.ENotFound:     http.StatusNotFound,
	epilogue.EConflict:     http.StatusConflict,
	epilogue.ETooLarge:     http.StatusRequestEntityTooLarge,
	epilogue.EUnavailable:  http.StatusServiceUnavailable,
	epilogue.EInternal:     http.StatusInternalServerError,
	codeMethodNotAllowed:   http.StatusMethodNotAllowed,
	codeUnsupportedMedia:   http.StatusUnsupportedMediaType,
}

const (
	codeMethodNotAllowed = "method_not_allowed"
	codeUnsupportedMedia = "unsupported_media_type"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// fail answers with the one error shape. Internal errors are logged with the request id and
// shown only as "internal".
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *epilogue.Error
	if !errors.As(err, &e) {
		e = &epilogue.Error{Code: epilogue.EInternal}
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	d := errorDetail{Code: e.Code, Message: e.Message, Field: e.Field, RequestID: requestID(r.Context())}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="epilogue"`) // RFC 9110: a 401 names its scheme
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", slog.String("request_id", d.RequestID),
			slog.String("path", r.URL.Path), slog.Any("err", err))
		if e.Code == epilogue.EInternal {
			d.Message = "internal error; quote request id " + d.RequestID
		}
	}
	writeJSON(w, status, errorBody{Error: d})
}
