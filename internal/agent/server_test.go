package agent

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

func TestNewRefusesWithoutAllowlistOrTokens(t *testing.T) {
	al, _ := ParseAllowlist([]string{"127.0.0.1/32"})
	if _, err := New(Config{Tokens: []Token{{Name: "a", Secret: testToken}}}); err == nil {
		t.Error("New without an allowlist: want an error")
	}
	if _, err := New(Config{Allow: al}); err == nil {
		t.Error("New without tokens: want an error")
	}
	if _, err := ParseAllowlist([]string{" ", ""}); err == nil {
		t.Error("ParseAllowlist of nothing: want an error")
	}
}

func TestUnauthorizedResolvesAndProbesNothing(t *testing.T) {
	h := newHarness(t, []string{"0.0.0.0/0", "media.test"}, nil)
	body := mustJSON(t, tcpRequest("media.test", testnet.TCPListener(t)))
	for name, token := range map[string]string{"no token": "", "wrong token": testToken + "x", "prefix": testToken[:10]} {
		t.Run(name, func(t *testing.T) {
			resp := h.post(t, token, body)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %s, want 401", resp.Status)
			}
			raw, _ := io.ReadAll(resp.Body)
			if strings.Contains(string(raw), testToken) {
				t.Errorf("the body echoes the token: %s", raw)
			}
		})
	}
	if n := h.resolver.n.Load(); n != 0 {
		t.Errorf("%d lookups for unauthenticated requests, want 0", n)
	}
	if n := testutil.CollectAndCount(h.srv.metrics.probes); n != 0 {
		t.Errorf("%d probe series for unauthenticated requests, want 0", n)
	}
	_, err := h.remote(t, "wrong-token-0123456789").Verify(t.Context(), tcpRequest("media.test", 1), vantage.Watcher{})
	if err == nil || !strings.Contains(err.Error(), `agent "eu-1"`) || !strings.Contains(err.Error(), "refused the token") {
		t.Errorf("Remote error = %v, want it to say the agent refused the token", err)
	}
	if strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("the error leaks the token: %v", err)
	}
}

func TestForbiddenTargets(t *testing.T) {
	port := testnet.TCPListener(t)
	for _, tc := range []struct {
		name, host string
		allow      []string
		want       string
	}{
		{"outside", "198.51.100.7", []string{"203.0.113.0/24"}, "198.51.100.7 of 198.51.100.7 is outside the allowlist"},
		{"loopback outside", "media.test", []string{"203.0.113.0/24"}, "127.0.0.1 of media.test is a loopback address"},
		{"loopback in a wide range", "127.0.0.1", []string{"0.0.0.0/0"}, "allow entry 0.0.0.0/0 contains it but does not name it"},
		{"mapped loopback", "::ffff:127.0.0.1", []string{"0.0.0.0/0", "::/0"}, "127.0.0.1"},
		{"loopback by name only", "media.test", []string{"media.test"}, "loopback"},
		{"metadata in link-local range", "169.254.169.254", []string{"169.254.0.0/16"}, "cloud metadata"},
		{"metadata v6", "fd00:ec2::254", []string{"fd00::/8"}, "cloud metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.allow, nil)
			resp := h.post(t, testToken, mustJSON(t, tcpRequest(tc.host, port)))
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %s, want 403", resp.Status)
			}
			eb := errorBody(t, resp)
			if eb.Reason != agentapi.ReasonForbidden || !strings.Contains(eb.Error, tc.want) {
				t.Errorf("refusal %+v, want reason forbidden and %q", eb, tc.want)
			}
			if n := testutil.CollectAndCount(h.srv.metrics.probes); n != 0 {
				t.Errorf("%d probe series after a refusal, want 0", n)
			}
			_, err := h.remote(t, testToken).Verify(t.Context(), tcpRequest(tc.host, port), vantage.Watcher{})
			if err == nil || !strings.Contains(err.Error(), "refused the target (403)") {
				t.Errorf("Remote error = %v, want a 403 refusal", err)
			}
		})
	}
}

func TestPassThroughAgent(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, nil)
	req := vantage.Request{
		Host: "127.0.0.1",
		Checks: []check.Spec{
			{Protocol: "tcp", Port: testnet.TCPListener(t)},
			{Protocol: "stun", Transport: "udp", Port: testnet.STUN(t, "udp")},
		},
		Policy: verify.Policy{Interval: 10 * time.Millisecond, AttemptTimeout: time.Second},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	rep, err := h.remote(t, testToken).Verify(ctx, req, vantage.Watcher{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Reachable || rep.Vantage != "eu-1" || len(rep.Results) != 2 {
		t.Fatalf("report %+v, want reachable from eu-1 with 2 rows", rep)
	}
	for _, row := range rep.Results {
		if row.Vantage != "eu-1" || !row.Passed {
			t.Errorf("row %+v, want passed from eu-1", row)
		}
	}
	if got := testutil.ToFloat64(h.srv.metrics.verifications.WithLabelValues("reachable")); got != 1 {
		t.Errorf("reachable verifications = %v, want 1", got)
	}
	if got := testutil.ToFloat64(h.srv.metrics.probes.WithLabelValues("stun", "udp", "open")); got < 1 {
		t.Errorf("open stun probes = %v, want >= 1", got)
	}
}

func TestProgressStreamsAndTimeoutEndsRun(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, func(c *Config) { c.Deps.ProgressEvery = 20 * time.Millisecond })
	req := tcpRequest("127.0.0.1", closedPort(t))
	req.Timeout = 300 * time.Millisecond
	progress, got := progressOnce()
	rep, err := h.remote(t, testToken).Verify(t.Context(), req, vantage.Watcher{Progress: progress})
	waitProgress(t, got)
	if err == nil || rep.Reachable {
		t.Fatalf("Verify = %v, %+v; want an unreachable report and the run's error", err, rep)
	}
	if !strings.Contains(err.Error(), "stopped before every check passed") || len(rep.Results) != 1 || rep.Vantage != "eu-1" {
		t.Errorf("Verify = %v, %+v; want the partial report and why it stopped", err, rep)
	}
	// A run that used its time is a verdict on the checks, not a failed agent.
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify = %v; want it to wrap context.DeadlineExceeded", err)
	}
}

func TestClientCancelCancelsRun(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, func(c *Config) { c.Deps.ProgressEvery = 10 * time.Millisecond })
	ctx, cancel := context.WithCancel(t.Context())
	_, ac := h.runningVerify(t, ctx)
	cancel()
	if err := (<-ac).err; !errors.Is(err, context.Canceled) {
		t.Errorf("Verify after cancel = %v, want context.Canceled", err)
	}
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the agent's run did not end when the client went away")
	}
	if got := testutil.ToFloat64(h.srv.metrics.inFlight); got != 0 {
		t.Errorf("in flight = %v after the run ended, want 0", got)
	}
}

func TestDrainEndsRunsWithPartialReport(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, func(c *Config) { c.Deps.ProgressEvery = 10 * time.Millisecond })
	req, ac := h.runningVerify(t, t.Context())
	h.srv.Drain()
	a := <-ac
	if a.err == nil || len(a.rep.Results) != 1 || a.rep.Results[0].Attempts == 0 {
		t.Errorf("after Drain: %v, %+v; want the partial report with an error", a.err, a.rep)
	}
	if errors.Is(a.err, context.DeadlineExceeded) {
		t.Errorf("after Drain: %v; a shutdown is not the run's timeout", a.err)
	}
	if resp := h.post(t, testToken, mustJSON(t, req)); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Drain: status %s, want 503", resp.Status)
	}
}

func TestPerTokenConcurrency(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, func(c *Config) {
		c.Deps.ProgressEvery = 10 * time.Millisecond
		c.Limits.PerToken = 1
	})
	ctx, cancel := context.WithCancel(t.Context())
	req, ac := h.runningVerify(t, ctx)

	resp := h.post(t, testToken, mustJSON(t, req))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second run: status %s, Retry-After %q; want 429 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	// A Remote whose deadline leaves no room to wait 5s reports the 429
	// at once (without a deadline, it would wait and send again).
	short, cancelShort := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancelShort()
	_, err := h.remote(t, testToken).Verify(short, req, vantage.Watcher{})
	if err == nil || !strings.Contains(err.Error(), "is busy") || !strings.Contains(err.Error(), "(429, busy)") ||
		!strings.Contains(err.Error(), "retry after 5s") {
		t.Errorf("Remote second run = %v, want busy (429, busy) and when to retry", err)
	}
	// Another token has its own allowance.
	other := tcpRequest("127.0.0.1", testnet.TCPListener(t))
	if _, err := h.remote(t, otherToken).Verify(t.Context(), other, vantage.Watcher{}); err != nil {
		t.Errorf("another token's run: %v", err)
	}
	cancel()
	if err := (<-ac).err; err == nil {
		t.Error("the first run, cancelled by its client, reported no error")
	}
}

func TestRequestCaps(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, func(c *Config) {
		c.Limits.MaxChecks = 2
		c.Limits.MaxPorts = 10
	})
	three := tcpRequest("127.0.0.1", 1)
	three.Checks = append(three.Checks, three.Checks[0], three.Checks[0])
	wide := tcpRequest("127.0.0.1", 1)
	wide.Checks = []check.Spec{{Protocol: "tcp", First: 1000, Last: 1100}}
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		reason string
	}{
		{"too many checks", mustJSON(t, three), http.StatusBadRequest, agentapi.ReasonLimit},
		{"too many ports", mustJSON(t, wide), http.StatusBadRequest, agentapi.ReasonLimit},
		{"unknown field", []byte(`{"host":"127.0.0.1","checks":[{"protocol":"tcp","port":1}],"policy":{},"evil":1}`), http.StatusBadRequest, agentapi.ReasonBadRequest},
		{"trailing data", append(mustJSON(t, tcpRequest("127.0.0.1", 1)), []byte(`{}`)...), http.StatusBadRequest, agentapi.ReasonBadRequest},
		{"too large", []byte(`{"host":"` + strings.Repeat("a", agentapi.MaxRequestBytes) + `"}`), http.StatusRequestEntityTooLarge, agentapi.ReasonTooLarge},
		{"bad check", mustJSON(t, vantage.Request{Host: "127.0.0.1", Checks: []check.Spec{{Protocol: "gopher", Port: 70}}}), http.StatusBadRequest, agentapi.ReasonBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.post(t, testToken, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %s, want %d", resp.Status, tc.status)
			}
			if eb := errorBody(t, resp); eb.Reason != tc.reason {
				t.Errorf("reason %q (%s), want %q", eb.Reason, eb.Error, tc.reason)
			}
		})
	}
	if n := h.resolver.n.Load(); n != 0 {
		t.Errorf("%d lookups for refused requests, want 0", n)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, nil)
	h.post(t, "", []byte(`{}`))
	if _, err := h.remote(t, testToken).Verify(t.Context(), tcpRequest("127.0.0.1", testnet.TCPListener(t)), vantage.Watcher{}); err != nil {
		t.Fatal(err)
	}
	<-h.done // the refused request's handler
	<-h.done // the run's handler: its in-flight count is released
	get := func(path string) string {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, h.http.URL+path, nil)
		resp, err := h.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return string(b)
	}
	if got := get(agentapi.HealthPath); got != "ok\n" {
		t.Errorf("healthz = %q", got)
	}
	m := get(agentapi.MetricsPath)
	for _, want := range []string{
		`mediaprobe_agent_refusals_total{reason="unauthorized"} 1`,
		`mediaprobe_agent_verifications_total{verdict="reachable"} 1`,
		`mediaprobe_agent_probes_total{protocol="tcp",status="open",transport="tcp"}`,
		`mediaprobe_agent_verification_duration_seconds_count{verdict="reachable"} 1`,
		`mediaprobe_agent_verifications_in_flight 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, "127.0.0.1") || strings.Contains(m, testToken) {
		t.Error("metrics name a target address or a token")
	}
}
