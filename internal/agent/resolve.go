package agent

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// MinResolveEvery floors how often the agent looks a name up again: the
// request's policy interval (50ms by default, fine for probes) would have
// every caller hammer the agent's resolver while a record propagates.
const MinResolveEvery = 250 * time.Millisecond

// admit checks a resolution against the caps and the allowlist, as every
// resolution is checked: status 0 when it may be probed, else the refusal.
func (s *Server) admit(req vantage.Request, addrs []netip.Addr) (status int, reason, msg string) {
	if len(addrs) > s.limits.MaxAddresses {
		return http.StatusBadRequest, agentapi.ReasonLimit, fmt.Sprintf(
			"%s resolved to %d addresses, more than the %d allowed", req.Host, len(addrs), s.limits.MaxAddresses)
	}
	for _, a := range addrs {
		if err := s.allow.Check(req.Host, a); err != nil {
			return http.StatusForbidden, agentapi.ReasonForbidden, err.Error()
		}
	}
	return 0, "", ""
}

// resolveLater retries a failed lookup every poll interval (the request's
// interval, at least MinResolveEvery) until the name resolves, the lookup
// fails for good, or ctx ends (the request's deadline, the client, Drain).
// It returns the addresses, or the last lookup's own error.
//
// The 200 has gone out before it is called: a new DNS record may take
// minutes, and holding the status back that long would leave the client
// without a first byte, its Progress callback (the provider's "still
// waiting" logs) silent, and proxies on the way free to cut an idle
// request. So it streams progress lines (the report so far: the lookup
// error) every ProgressEvery, as a run does. The price: an answer that
// comes late and is outside the allowlist can no longer be a 403; it ends
// the stream with a refusal line instead (see refuseLate). The common case,
// a name that resolves at once, keeps its status as before.
func (s *Server) resolveLater(ctx context.Context, st *stream, req vantage.Request, err error) ([]netip.Addr, error) {
	every := max(req.Policy.Interval, MinResolveEvery)
	progressEvery := s.deps.ProgressEvery
	if progressEvery <= 0 {
		progressEvery = verify.DefaultProgressEvery
	}
	nextProgress := s.clock.Now().Add(progressEvery)
	for {
		t := s.clock.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C():
		}
		if now := s.clock.Now(); !now.Before(nextProgress) {
			rep := s.unresolved(req, err)
			st.line(agentapi.Line{Type: agentapi.LineProgress, Report: &rep})
			nextProgress = now.Add(progressEvery)
		}
		addrs, lerr := probe.Resolve(ctx, s.deps.Resolver, req.Host, string(req.IPVersion))
		switch {
		case lerr == nil:
			return addrs, nil
		case ctx.Err() != nil:
			return nil, err // the last lookup that failed on its own, not the cancel
		case !verify.RetryLookup(lerr, req.Policy.Snapshot):
			return nil, lerr
		}
		err = lerr
	}
}

// unresolved is the report of a run whose host never resolved.
func (s *Server) unresolved(req vantage.Request, err error) verify.Report {
	return verify.Report{Vantage: s.name, Host: req.Host, ResolveError: err.Error(), ResolveCode: verify.ResolveCode(err)}
}

// refuseLate ends a stream whose host resolved, after retries, to
// addresses it may not probe: a final report line with the refusal as its
// error and StopRefused, logged and counted as a refusal.
func (s *Server) refuseLate(st *stream, r *http.Request, req vantage.Request, reason, who, msg string) {
	s.metrics.refusals.WithLabelValues(reason).Inc()
	s.log.Warn("refused", "token", who, "remote", r.RemoteAddr, "reason", reason, "status", "200 (streaming)", "detail", msg)
	rep := verify.Report{Vantage: s.name, Host: req.Host}
	st.line(agentapi.Line{Type: agentapi.LineReport, Report: &rep, Error: msg, Stop: agentapi.StopRefused, Reason: reason})
}

// fixedResolver answers with the addresses already checked, so the engine
// never looks the host up again.
type fixedResolver []netip.Addr

func (f fixedResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range f {
		if network == "ip" || (network == "ip4") == a.Is4() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}
