package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus series of one server process. They live in their own registry, not
// the global one, so several servers can run in one test binary.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.HistogramVec
	decisions *prometheus.CounterVec
	events    *prometheus.CounterVec
	queue     *prometheus.GaugeVec
}

// NewMetrics creates the series in reg (a new registry when nil).
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "epilogue_http_request_duration_seconds",
			Help:    "HTTP request latency by route and status.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "code"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "epilogue_decisions_total",
			Help: "Decisions by arm and outcome (offers, no_offer).",
		}, []string{"arm", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "epilogue_events_total",
			Help: "Offer events by type and status (accepted, duplicate, rejected).",
		}, []string{"type", "status"}),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "epilogue_writer_queue_depth",
			Help: "Batches waiting in a group-commit writer.",
		}, []string{"writer"}),
	}
	reg.MustRegister(m.requests, m.decisions, m.events, m.queue,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Decision counts one decision (the decision engine's Observe hook).
func (m *Metrics) Decision(arm, outcome string) { m.decisions.WithLabelValues(arm, outcome).Inc() }

// QueueDepth sets a writer's queue depth (a group-commit writer's Depth hook).
func (m *Metrics) QueueDepth(writer string) func(int) {
	g := m.queue.WithLabelValues(writer)
	return func(n int) { g.Set(float64(n)) }
}

// Registry returns the registry, for other packages' series.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the series in the Prometheus text format.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }
