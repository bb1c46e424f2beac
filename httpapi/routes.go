package httpapi

import (
	"net/http"
	"sort"
	"strings"
)

// routes registers every route of the API. Paths asked with a method they do not serve get a
// 405 in the error shape; unknown paths a 404.
func (s *Server) routes(mux *http.ServeMux, extra func(*http.ServeMux, func(bool, http.HandlerFunc) http.Handler)) {
	methods := map[string][]string{}
	handle := func(pattern string, h http.Handler) {
		method, path, _ := strings.Cut(pattern, " ")
		methods[path] = append(methods[path], method)
		mux.Handle(pattern, h)
	}
	secret := func(h http.HandlerFunc) http.Handler { return s.authed(true, h) }
	browser := func(h http.HandlerFunc) http.Handler { return s.authed(false, h) }

	handle("GET /healthz", http.HandlerFunc(s.healthz))
	handle("GET /readyz", http.HandlerFunc(s.readyz))
	handle("GET /metrics", s.metrics.Handler())

	handle("POST /v1/decisions", browser(s.createDecision))
	handle("OPTIONS /v1/decisions", http.HandlerFunc(s.preflight))
	handle("GET /v1/decisions/{id}", secret(s.getDecision))
	handle("POST /v1/events", browser(s.createEvents))
	handle("OPTIONS /v1/events", http.HandlerFunc(s.preflight))

	handle("POST /v1/offers", secret(s.idempotent(s.createOffer)))
	handle("GET /v1/offers", secret(s.listOffers))
	handle("GET /v1/offers/{id}", secret(s.getOffer))
	handle("PATCH /v1/offers/{id}", secret(s.idempotent(s.updateOffer)))

	handle("POST /v1/placements", secret(s.idempotent(s.createPlacement)))
	handle("GET /v1/placements", secret(s.listPlacements))
	handle("GET /v1/placements/{id}", secret(s.getPlacement))
	handle("PATCH /v1/placements/{id}", secret(s.idempotent(s.updatePlacement)))

	handle("GET /v1/settings", secret(s.getSettings))
	handle("PATCH /v1/settings", secret(s.idempotent(s.updateSettings)))

	handle("PUT /v1/customers/{id}", secret(s.putCustomer))
	handle("GET /v1/customers/{id}", secret(s.getCustomer))
	handle("DELETE /v1/customers/{id}", secret(s.deleteCustomer))

	// Orders, shipments and incoming webhooks.
	// (orders routes go here)

	// Journeys, templates, brand, loyalty, reviews, surveys and order timelines.
	// (journeys routes go here)

	if extra != nil {
		extra(mux, s.authed)
	}
	for path, ms := range methods {
		sort.Strings(ms)
		mux.Handle(path, s.methodNotAllowed(strings.Join(ms, ", ")))
	}
	mux.HandleFunc("/", s.notFound)
}
