package agent

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify/verifytest"
)

func TestTokenRatesBucket(t *testing.T) {
	r := newTokenRates(60) // one a second, 60 at once
	now := time.Unix(1_000_000, 0)
	for i := range 60 {
		if ok, _ := r.allow("ci", now); !ok {
			t.Fatalf("request %d of the first 60: refused", i+1)
		}
	}
	ok, after := r.allow("ci", now)
	if ok || after != 1 {
		t.Fatalf("61st request: ok %v, retry after %ds; want refused, 1s", ok, after)
	}
	if ok, _ := r.allow("other", now); !ok {
		t.Error("another token shares the first token's bucket")
	}
	if ok, after := r.allow("ci", now.Add(400*time.Millisecond)); ok || after != 1 {
		t.Errorf("0.4s later: ok %v, retry after %ds; want refused, at least 1s", ok, after)
	}
	if ok, _ := r.allow("ci", now.Add(time.Second)); !ok {
		t.Error("1s later: refused, want one request allowed again")
	}
	// A slow rate: two a minute, so the third waits 30s.
	slow := newTokenRates(2)
	slow.allow("ci", now)
	slow.allow("ci", now)
	if ok, after := slow.allow("ci", now.Add(time.Second)); ok || after != 29 {
		t.Errorf("2 a minute, third request 1s later: ok %v, retry after %ds; want refused, 29s", ok, after)
	}
}

// Beyond its request rate a token gets 429 "rate" with a Retry-After, before
// its body is read or its host resolved; the refusal is counted by reason,
// and time (a fake clock) frees a slot.
func TestPerTokenRequestRate(t *testing.T) {
	clock := verifytest.NewClock(time.Unix(1_000_000, 0))
	// The target is outside the allowlist: each allowed request is resolved,
	// then refused with 403, so no run needs the fake clock to advance.
	h := newHarness(t, []string{"198.51.100.0/24"}, func(c *Config) {
		c.Limits.PerMinute = 3
		c.Deps.Clock = clock
	})
	body := mustJSON(t, tcpRequest("media.test", 443))
	for i := range 3 {
		if resp := h.post(t, testToken, body); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("request %d: status %s, want 403 (the rate allows it)", i+1, resp.Status)
		}
	}
	lookups := h.resolver.n.Load()
	resp := h.post(t, testToken, body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "20" {
		t.Fatalf("4th request: status %s, Retry-After %q; want 429, 20", resp.Status, resp.Header.Get("Retry-After"))
	}
	if eb := errorBody(t, resp); eb.Reason != agentapi.ReasonRate || !strings.Contains(eb.Error, "3 verify requests a minute") {
		t.Errorf("4th request: body %+v, want reason rate naming the limit", eb)
	}
	if n := h.resolver.n.Load(); n != lookups {
		t.Errorf("%d lookups, want %d: a request over the rate is refused before resolving", n, lookups)
	}
	// A Remote whose deadline leaves no room to wait 20s reports the 429
	// at once (without a deadline, it would wait and send again).
	short, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := h.remote(t, testToken).Verify(short, tcpRequest("media.test", 443), vantage.Watcher{})
	if err == nil || !strings.Contains(err.Error(), "request rate") || !strings.Contains(err.Error(), "(429, rate)") ||
		!strings.Contains(err.Error(), "retry after 20s") {
		t.Errorf("Remote = %v, want the rate named and when to retry", err)
	}
	if got := testutil.ToFloat64(h.srv.metrics.refusals.WithLabelValues(agentapi.ReasonRate)); got != 2 {
		t.Errorf("refusals{reason=rate} = %v, want 2", got)
	}
	// Another token has its own rate.
	if resp := h.post(t, otherToken, body); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another token: status %s, want 403", resp.Status)
	}
	clock.Advance(20 * time.Second)
	if resp := h.post(t, testToken, body); resp.StatusCode != http.StatusForbidden {
		t.Errorf("20s later: status %s, want 403 (a slot has freed)", resp.Status)
	}
}

// A Remote whose MaxRuns is the agent's PerToken never meets its 429:
// six verifications at once through a token allowed two all pass. The
// deadline leaves no room to wait out a busy Retry-After (5s), so a 429
// would fail a run.
func TestRemoteMaxRunsMatchesPerToken(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, func(c *Config) { c.Limits.PerToken = 2 })
	r := h.remoteWith(t, agentapi.RemoteOptions{Token: testToken, MaxRuns: 2})
	port := testnet.TCPListener(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
	defer cancel()
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = r.Verify(ctx, tcpRequest("127.0.0.1", port), vantage.Watcher{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Verify %d: %v", i, err)
		}
	}
	if got := testutil.ToFloat64(h.srv.metrics.refusals.WithLabelValues(agentapi.ReasonBusy)); got != 0 {
		t.Errorf("refusals{reason=busy} = %v, want 0", got)
	}
}
