// Package httpapi is Epilogue's JSON API: every route in one function (routes.go), key
// authentication with tenant isolation, one error shape, and one small file per resource.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
)

// Store is what the API reads and writes. It is satisfied by *store.DB.
type Store interface {
	decide.Source
	Ping(ctx context.Context) error
	KeyByHash(ctx context.Context, hash string) (*epilogue.Key, error)
	UpdateSettings(ctx context.Context, shopID string, patch func(*epilogue.Settings) error) (epilogue.Settings, error)

	CreateOffer(ctx context.Context, o *epilogue.Offer) error
	Offer(ctx context.Context, shopID, id string) (*epilogue.Offer, error)
	// UpdateOffer, UpdatePlacement and UpdateCustomer apply change to what is stored and write
	// the result only over what change was applied to, applying it again when another writer
	// got there first (so no request loses another's change).
	UpdateOffer(ctx context.Context, shopID, id string, change func(*epilogue.Offer) error) (*epilogue.Offer, error)
	Offers(ctx context.Context, shopID string, f epilogue.ListFilter) ([]*epilogue.Offer, string, error)

	CreatePlacement(ctx context.Context, p *epilogue.Placement) error
	Placement(ctx context.Context, shopID, id string) (*epilogue.Placement, error)
	UpdatePlacement(ctx context.Context, shopID, id string, change func(*epilogue.Placement) error) (*epilogue.Placement, error)
	Placements(ctx context.Context, shopID string, f epilogue.ListFilter) ([]*epilogue.Placement, string, error)

	Decision(ctx context.Context, shopID, id string) (*epilogue.Decision, error)
	EventsByID(ctx context.Context, shopID string, ids []string) (map[string]*epilogue.Event, error)

	// UpdateCustomer creates the customer when the shop has none of the id (found is false).
	UpdateCustomer(ctx context.Context, shopID, id string, change func(c *epilogue.Customer, found bool) error) (*epilogue.Customer, error)
	Customer(ctx context.Context, shopID, id string) (*epilogue.Customer, error)
	EraseCustomer(ctx context.Context, shopID, id string, at time.Time) error

	IdempotentResponse(ctx context.Context, shopID, key string) (epilogue.StoredResponse, bool, error)
	SaveIdempotentResponse(ctx context.Context, shopID, key string, r epilogue.StoredResponse) error
	ClaimIdempotencyKey(ctx context.Context, shopID, key, requestHash string, now time.Time, stale time.Duration) (bool, error)
	ReleaseIdempotencyKey(ctx context.Context, shopID, key string) error
}

// EventWriter commits offer events durably in groups and reports, per event, whether it was
// new (false: a duplicate that changed nothing).
type EventWriter interface {
	Submit(ctx context.Context, events ...*epilogue.Event) ([]bool, error)
}

// Config holds the server's collaborators.
type Config struct {
	Store   Store
	Engine  *decide.Engine
	Events  EventWriter
	Clock   epilogue.Clock
	Log     *slog.Logger
	Metrics *Metrics
	// LogRequests logs every request, not only failures.
	LogRequests bool
	// Ready, when set, is asked by /readyz besides the database.
	Ready func(ctx context.Context) error
	// Orders serves orders, shipments and incoming webhooks (nil: those routes answer 503).
	Orders OrderStore
	// Journeys serves journeys, templates, loyalty, reviews and order timelines.
	Journeys JourneyStore
	// Extra lets other packages add routes (webhooks, pages) to the same mux.
	Extra func(mux *http.ServeMux, authed func(secretOnly bool, h http.HandlerFunc) http.Handler)
}

// Server is the HTTP API.
type Server struct {
	store       Store
	engine      *decide.Engine
	events      EventWriter
	clock       epilogue.Clock
	log         *slog.Logger
	metrics     *Metrics
	logRequests bool
	ready       func(ctx context.Context) error
	keys        *keyCache
	idem        *keyedLocks
	customers   *keyedLocks // see putCustomer
	handler     http.Handler
	orders      OrderStore
	journeys    JourneyStore
}

// New returns the API server.
func New(c Config) *Server {
	s := &Server{store: c.Store, engine: c.Engine, events: c.Events, clock: c.Clock, log: c.Log, metrics: c.Metrics,
		logRequests: c.LogRequests, ready: c.Ready, idem: newKeyedLocks(), customers: newKeyedLocks(),
		orders: c.Orders, journeys: c.Journeys}
	if s.clock == nil {
		s.clock = epilogue.SystemClock{}
	}
	s.keys = newKeyCache(c.Store, s.clock, keyCacheTTL)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(nil)
	}
	mux := http.NewServeMux()
	s.routes(mux, c.Extra)
	s.handler = s.observe(mux)
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
