// Package agent is the server side of `mediaprobe agent`: an http.Handler
// that runs a whole verification (vantage.Request) with the same engine and
// probes as the provider's local vantage, for authenticated callers and
// only against allowed targets, and streams the report back (see
// agentapi for the wire format). The provider never imports this package:
// it holds the Prometheus metrics.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// Config builds a Server.
type Config struct {
	// Name is the agent's vantage name, for reports and logs.
	Name   string
	Tokens []Token
	Allow  *Allowlist
	Limits Limits
	Log    hclog.Logger // nil: no logs
	// Deps are the engine's deps for every run: Clock, Limit, Rates and
	// ProgressEvery are shared; Resolver does the one lookup per request
	// (nil: net.DefaultResolver). Observer, Progress and Control are set
	// per run.
	Deps verify.Deps
}

// Server is the agent's http.Handler.
type Server struct {
	name    string
	auth    *authenticator
	allow   *Allowlist
	limits  Limits
	log     hclog.Logger
	deps    verify.Deps
	metrics *metrics
	mux     *http.ServeMux

	mu      sync.Mutex
	running map[string]int // runs per token name
	rates   *tokenRates
	clock   verify.Clock // Deps.Clock, or the wall clock

	drain     context.Context // ends every run (Drain)
	drainStop context.CancelFunc
}

// New checks cfg and builds the server. It refuses an empty allowlist or
// token list: an agent is deny by default.
func New(cfg Config) (*Server, error) {
	if cfg.Allow == nil || len(cfg.Allow.entries) == 0 {
		return nil, errors.New("agent: no allowlist: give the CIDRs or host names the agent may probe")
	}
	if len(cfg.Tokens) == 0 {
		return nil, errors.New("agent: no token: give a token file")
	}
	if cfg.Name == "" {
		cfg.Name = "agent"
	}
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	s := &Server{
		name: cfg.Name, auth: newAuthenticator(cfg.Tokens), allow: cfg.Allow,
		limits: cfg.Limits.withDefaults(), log: cfg.Log, deps: cfg.Deps,
		metrics: newMetrics(), running: map[string]int{}, clock: cfg.Deps.Clock,
	}
	if s.clock == nil {
		s.clock = verify.RealClock{}
	}
	s.rates = newTokenRates(s.limits.PerMinute)
	s.drain, s.drainStop = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc(agentapi.VerifyPath, s.verify)
	mux.HandleFunc(agentapi.HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle(agentapi.MetricsPath, promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	s.mux = mux
	return s, nil
}

// ServeHTTP serves the agent's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Drain ends every run now and refuses new ones: each in-flight client gets
// its partial report. Call it before http.Server.Shutdown.
func (s *Server) Drain() { s.drainStop() }

// refuse answers with an ErrorBody and counts the refusal.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, reason, who, msg string) {
	remote := r.RemoteAddr
	s.metrics.refusals.WithLabelValues(reason).Inc()
	s.log.Warn("refused", "token", who, "remote", remote, "reason", reason, "status", status, "detail", msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(agentapi.ErrorBody{Reason: reason, Error: msg})
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.refuse(w, r, http.StatusMethodNotAllowed, agentapi.ReasonMethod, "", "use POST")
		return
	}
	who := s.auth.who(r)
	if who == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mediaprobe agent"`)
		s.refuse(w, r, http.StatusUnauthorized, agentapi.ReasonUnauthorized, "", "a valid bearer token is required")
		return
	}
	if s.drain.Err() != nil {
		s.refuse(w, r, http.StatusServiceUnavailable, agentapi.ReasonShuttingDown, who, "the agent is shutting down")
		return
	}
	// The rate is counted before the body is read or anything resolved.
	if ok, after := s.rates.allow(who, s.clock.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(after))
		s.refuse(w, r, http.StatusTooManyRequests, agentapi.ReasonRate, who, fmt.Sprintf(
			"token %s sent more than its %d verify requests a minute; the next is allowed in %ds", who, s.limits.PerMinute, after))
		return
	}
	req, status, reason, err := s.decode(w, r)
	if err != nil {
		s.refuse(w, r, status, reason, who, err.Error())
		return
	}
	if !s.acquire(who) {
		w.Header().Set("Retry-After", strconv.Itoa(DefaultRetryAfterSec))
		s.refuse(w, r, http.StatusTooManyRequests, agentapi.ReasonBusy, who,
			fmt.Sprintf("token %s already has %d verifications running, the most allowed at once", who, s.limits.PerToken))
		return
	}
	defer s.release(who)

	timeout := req.Timeout
	if timeout <= 0 {
		timeout = s.limits.Timeout
	}
	timeout = min(timeout, s.limits.MaxTimeout)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	stop := context.AfterFunc(s.drain, cancel)
	defer stop()

	// The first lookup decides the status as before: a name that resolves
	// is admitted (or refused with 403/400) before streaming starts. A
	// failed lookup is retried (see resolveLater), which streams.
	addrs, rerr := probe.Resolve(ctx, s.deps.Resolver, req.Host, string(req.IPVersion))
	if rerr == nil {
		if status, reason, msg := s.admit(req, addrs); status != 0 {
			s.refuse(w, r, status, reason, who, msg)
			return
		}
		s.run(ctx, startStream(w), r.RemoteAddr, who, req, addrs, nil)
		return
	}
	st := startStream(w)
	if verify.RetryLookup(rerr, req.Policy.Snapshot) {
		addrs, rerr = s.resolveLater(ctx, st, req, rerr)
		if rerr == nil {
			if status, reason, msg := s.admit(req, addrs); status != 0 {
				s.refuseLate(st, r, req, reason, who, msg)
				return
			}
		}
	}
	s.run(ctx, st, r.RemoteAddr, who, req, addrs, rerr)
}

// decode reads and checks the request body against the caps.
func (s *Server) decode(w http.ResponseWriter, r *http.Request) (vantage.Request, int, string, error) {
	var req vantage.Request
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, agentapi.MaxRequestBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if _, big := errors.AsType[*http.MaxBytesError](err); big {
			return req, http.StatusRequestEntityTooLarge, agentapi.ReasonTooLarge,
				fmt.Errorf("the request is over %d bytes", agentapi.MaxRequestBytes)
		}
		return req, http.StatusBadRequest, agentapi.ReasonBadRequest, fmt.Errorf("not a verify request: %w", err)
	}
	if dec.More() {
		return req, http.StatusBadRequest, agentapi.ReasonBadRequest, errors.New("not a verify request: data after the JSON object")
	}
	if req.Host == "" {
		return req, http.StatusBadRequest, agentapi.ReasonBadRequest, errors.New("no host")
	}
	if len(req.Checks) == 0 {
		return req, http.StatusBadRequest, agentapi.ReasonBadRequest, errors.New("no checks")
	}
	if len(req.Checks) > s.limits.MaxChecks {
		return req, http.StatusBadRequest, agentapi.ReasonLimit,
			fmt.Errorf("%d checks, more than the %d allowed per request", len(req.Checks), s.limits.MaxChecks)
	}
	if _, err := req.Plan(time.Now); err != nil {
		return req, http.StatusBadRequest, agentapi.ReasonBadRequest, err
	}
	ports := 0
	for i, c := range req.Checks {
		ps, err := c.Ports()
		if err != nil {
			return req, http.StatusBadRequest, agentapi.ReasonBadRequest, fmt.Errorf("check %d: %w", i, err)
		}
		ports += len(ps)
	}
	if ports > s.limits.MaxPorts {
		return req, http.StatusBadRequest, agentapi.ReasonLimit,
			fmt.Errorf("%d ports in all, more than the %d allowed per request", ports, s.limits.MaxPorts)
	}
	if req.Timeout < 0 || req.Policy.Interval < 0 || req.Policy.AttemptTimeout < 0 || req.Policy.MaxProbeRate < 0 {
		return req, http.StatusBadRequest, agentapi.ReasonBadRequest, errors.New("negative timeout, interval or rate")
	}
	if req.Policy.MaxProbeRate == 0 || req.Policy.MaxProbeRate > s.limits.MaxProbeRate {
		req.Policy.MaxProbeRate = s.limits.MaxProbeRate
	}
	return req, 0, "", nil
}

// startStream sends the 200 and its headers: from here on, the answer is
// NDJSON lines.
func startStream(w http.ResponseWriter) *stream {
	w.Header().Set("Content-Type", agentapi.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	st := &stream{w: w, rc: http.NewResponseController(w), enc: json.NewEncoder(w)}
	st.rc.Flush() //nolint:errcheck // the first write reports a gone client
	return st
}

// stream writes NDJSON lines, flushing each.
type stream struct {
	mu  sync.Mutex
	w   http.ResponseWriter
	rc  *http.ResponseController
	enc *json.Encoder
}

func (st *stream) line(l agentapi.Line) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.enc.Encode(l) == nil {
		_ = st.rc.Flush()
	}
}

// run streams the verification and logs and counts its verdict.
func (s *Server) run(ctx context.Context, st *stream, remote, who string, req vantage.Request, addrs []netip.Addr, rerr error) {
	start := time.Now()
	var (
		rep verify.Report
		err error
	)
	if rerr != nil {
		// Every lookup failed until the deadline: say so as the engine would.
		rep = s.unresolved(req, rerr)
	} else {
		d := s.deps
		d.Resolver = fixedResolver(addrs)
		d.Control = s.allow.guard(addrs)
		l := namedLocal{name: s.name, local: vantage.Local{Deps: d}}
		rep, err = l.Verify(ctx, req, vantage.Watcher{
			Observer: s.metrics,
			Progress: func(p verify.Report) { st.line(agentapi.Line{Type: agentapi.LineProgress, Report: &p}) },
		})
	}
	final := agentapi.Line{Type: agentapi.LineReport, Report: &rep}
	verdict := "unreachable"
	switch {
	case rerr != nil:
		verdict = "unresolved"
	case err != nil:
		verdict = "stopped"
		final.Error = err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			final.Stop = agentapi.StopTimeout
		}
	case rep.Reachable:
		verdict = "reachable"
	}
	// Count before the final line goes out: a client that has it may read
	// the metrics next.
	elapsed := time.Since(start)
	s.metrics.verifications.WithLabelValues(verdict).Inc()
	s.metrics.duration.WithLabelValues(verdict).Observe(elapsed.Seconds())
	st.line(final)
	s.log.Info("verification", "token", who, "remote", remote, "host", req.Host, "checks", len(req.Checks),
		"addresses", len(addrs), "verdict", verdict, "elapsed", elapsed.Round(time.Millisecond).String())
}

// namedLocal is vantage.Local with the agent's name on the report.
type namedLocal struct {
	name  string
	local vantage.Local
}

func (n namedLocal) Verify(ctx context.Context, req vantage.Request, w vantage.Watcher) (verify.Report, error) {
	if w.Progress != nil {
		progress := w.Progress
		w.Progress = func(rep verify.Report) { progress(rename(rep, n.name)) }
	}
	rep, err := n.local.Verify(ctx, req, w)
	return rename(rep, n.name), err
}

func rename(rep verify.Report, name string) verify.Report {
	rep.Vantage = name
	for i := range rep.Results {
		rep.Results[i].Vantage = name
	}
	return rep
}
