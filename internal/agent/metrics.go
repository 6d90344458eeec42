package agent

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// metrics are the agent's Prometheus metrics, on a registry of its own.
// Labels are protocol, status, verdict and reason: never a target address
// or a token name.
type metrics struct {
	reg           *prometheus.Registry
	verifications *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	probes        *prometheus.CounterVec
	probeRTT      *prometheus.HistogramVec
	refusals      *prometheus.CounterVec
	inFlight      prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediaprobe_agent_verifications_total",
			Help: "Verifications run, by verdict: reachable, unreachable, stopped (timeout, cancel, shutdown) or unresolved.",
		}, []string{"verdict"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mediaprobe_agent_verification_duration_seconds",
			Help:    "Time from the start of a verification to its final report, by verdict.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"verdict"}),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediaprobe_agent_probes_total",
			Help: "Probe attempts finished, by protocol, transport and status.",
		}, []string{"protocol", "transport", "status"}),
		probeRTT: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mediaprobe_agent_probe_rtt_seconds",
			Help:    "Round-trip time of probes that got an answer, by protocol.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"protocol"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediaprobe_agent_refusals_total",
			Help: "Verify requests refused, by reason.",
		}, []string{"reason"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mediaprobe_agent_verifications_in_flight",
			Help: "Verifications running now.",
		}),
	}
	m.reg.MustRegister(m.verifications, m.duration, m.probes, m.probeRTT, m.refusals, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// AttemptDone counts a probe: metrics is the engine's Observer.
func (m *metrics) AttemptDone(e verify.Event) {
	r := e.Result
	m.probes.WithLabelValues(r.Protocol, r.Transport, r.Status.String()).Inc()
	if r.RTT > 0 {
		m.probeRTT.WithLabelValues(r.Protocol).Observe(r.RTT.Seconds())
	}
}
