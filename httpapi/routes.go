package httpapi

import (
	"net/http"
	"sort"
	"strings"
)

// routes registers every route of the API. Paths asked with a method they do not serve get a
// 405, in the error shape or, on the pages people open from messages, as a page; unknown paths
// a 404.
func (s *Server) routes(mux *http.ServeMux, extra func(*http.ServeMux, func(bool, http.HandlerFunc) http.Handler)) {
	methods, pages := map[string][]string{}, map[string]bool{}
	handle := func(pattern string, h http.Handler) {
		method, path, _ := strings.Cut(pattern, " ")
		methods[path] = append(methods[path], method)
		mux.Handle(pattern, h)
	}
	page := func(pattern string, h http.Handler) {
		handle(pattern, h)
		_, path, _ := strings.Cut(pattern, " ")
		pages[path] = true
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
	orders := func(h http.HandlerFunc) http.Handler { return secret(s.needOrders(h)) }
	handle("POST /v1/orders", orders(s.createOrder))
	handle("GET /v1/orders/{id}", orders(s.getOrder))
	handle("GET /v1/orders/{id}/shipments", orders(s.listOrderShipments))
	handle("POST /v1/orders/{id}/refunds", orders(s.createRefund))
	handle("POST /v1/shipments", orders(s.createShipment))
	handle("GET /v1/shipments/{id}", orders(s.getShipment))
	handle("POST /v1/shipments/{id}/events", orders(s.createShipmentEvent))
	// Webhooks carry no API key: each verifies the HMAC of its body under the shop's secret.
	handle("POST /webhooks/shopify/{shop_id}", s.needOrders(s.shopifyWebhook))
	handle("POST /webhooks/easypost/{shop_id}", s.needOrders(s.easypostWebhook))

	// Journeys, templates, brand, loyalty, reviews, surveys and order timelines.
	// (journeys routes go here)
	j := s.withJourneys
	handle("POST /v1/journeys", secret(j(s.idempotent(s.createJourney))))
	handle("GET /v1/journeys", secret(j(s.listJourneys)))
	handle("GET /v1/journeys/{id}", secret(j(s.getJourney)))
	handle("PATCH /v1/journeys/{id}", secret(j(s.idempotent(s.updateJourney))))
	handle("GET /v1/messaging", secret(j(s.getMessaging)))
	handle("PATCH /v1/messaging", secret(j(s.idempotent(s.updateMessaging))))
	handle("GET /v1/brand", secret(j(s.getBrand)))
	handle("PATCH /v1/brand", secret(j(s.idempotent(s.updateBrand))))
	handle("GET /v1/templates", secret(j(s.listTemplates)))
	handle("PUT /v1/templates/{id}", secret(j(s.putTemplate)))
	handle("POST /v1/templates/{id}/preview", secret(j(s.previewTemplate)))
	handle("GET /v1/suppressions", secret(j(s.listSuppressions)))
	handle("POST /v1/suppressions", secret(j(s.createSuppression)))
	handle("GET /v1/customers/{id}/loyalty", secret(j(s.getLoyalty)))
	handle("GET /v1/orders/{id}/timeline", secret(j(s.getTimeline)))
	// Pages behind the links in messages: the signed token is the authority, not an API key.
	page("GET /u/{token}", j(s.unsubscribePage))
	page("POST /u/{token}", j(s.unsubscribe))
	page("GET /r/{token}", j(s.reviewPage))
	page("POST /r/{token}", j(s.submitReview))
	page("GET /s/{token}", j(s.surveyPage))
	page("POST /s/{token}", j(s.submitSurvey))
	page("GET /c/{shop}/{token}", http.HandlerFunc(s.clickOffer))

	if extra != nil {
		extra(mux, s.authed)
	}
	for path, ms := range methods {
		sort.Strings(ms)
		mux.Handle(path, s.methodNotAllowed(strings.Join(ms, ", "), pages[path]))
	}
	mux.HandleFunc("/", s.notFound)
}
