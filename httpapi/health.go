package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/epiloguehq/epilogue"
)

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says the server can take traffic: its database answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.store.Ping(ctx)
	if err == nil && s.ready != nil {
		err = s.ready(ctx)
	}
	if err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		s.fail(w, r, epilogue.Errorf(epilogue.EUnavailable, "not ready: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
