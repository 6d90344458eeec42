package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/vantage"
)

// okStream is an agent's answer to a run that passed.
const okStream = `{"type":"report","report":{"host":"h","reachable":true,"results":[{"passed":true}]}}` + "\n"

// writeStream answers like an agent whose run passed.
func writeStream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", ContentType)
	_, _ = w.Write([]byte(okStream))
}

// write429 refuses like an agent over a per-token limit.
func write429(w http.ResponseWriter, reason, retryAfter string) {
	w.Header().Set("Content-Type", "application/json")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(ErrorBody{Reason: reason, Error: "the token's limit is used up"})
}

func remoteWith(t *testing.T, url string, maxRuns int) *Remote {
	t.Helper()
	r, err := NewRemote(RemoteOptions{Name: "eu-1", URL: url, Token: token, MaxRuns: maxRuns})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// With MaxRuns 2, six verifications at once reach the agent two at a
// time, and every one passes: none is refused for being one too many. As
// the agent does, the stub frees its slot after the report line goes out,
// just before the response ends: the Remote waits for that end.
func TestRemoteMaxRunsWaitTheirTurn(t *testing.T) {
	t.Parallel()
	var now, most atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		hold := func(d time.Duration) {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
		}
		hold(50 * time.Millisecond) // the run
		writeStream(w)
		_ = http.NewResponseController(w).Flush()
		<-time.After(20 * time.Millisecond) // the report line is out; the run's end is not, gone client or not
	}))
	t.Cleanup(srv.Close)
	r := remoteWith(t, srv.URL, 2)
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			rep, err := r.Verify(t.Context(), vantage.Request{Host: "h"}, vantage.Watcher{})
			if err == nil && !rep.Reachable {
				err = errors.New("not reachable")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Verify %d: %v", i, err)
		}
	}
	if got := most.Load(); got != 2 {
		t.Errorf("at most %d requests at once, want 2", got)
	}
}

// 0 is the agent's default --max-runs-per-token; a negative count is refused.
func TestRemoteMaxRunsDefault(t *testing.T) {
	t.Parallel()
	if r := remoteWith(t, "https://agent.example.com", 0); r.MaxRuns() != DefaultMaxRuns {
		t.Errorf("MaxRuns 0: %d slots, want %d", r.MaxRuns(), DefaultMaxRuns)
	}
	if _, err := NewRemote(RemoteOptions{Name: "a", URL: "https://agent.example.com", Token: token, MaxRuns: -1}); err == nil {
		t.Error("MaxRuns -1: want an error")
	}
}

// A 429 with Retry-After 1 is sent again a second later, and the run's
// timeout is counted from then, not from the first request.
func TestRemoteRetries429(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	var timeouts [2]time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		var req vantage.Request
		if err := json.NewDecoder(r.Body).Decode(&req); err == nil && n <= 2 {
			timeouts[n-1] = req.Timeout
		}
		if n == 1 {
			write429(w, ReasonBusy, "1")
			return
		}
		writeStream(w)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	rep, err := remoteWith(t, srv.URL, 0).Verify(ctx, vantage.Request{Host: "h"}, vantage.Watcher{})
	elapsed := time.Since(start)
	if err != nil || !rep.Reachable {
		t.Fatalf("Verify = %+v, %v; want a reachable report", rep, err)
	}
	if elapsed < 900*time.Millisecond || hits.Load() != 2 {
		t.Errorf("passed after %s and %d requests; want about 1s and 2", elapsed, hits.Load())
	}
	if timeouts[0] <= 0 || timeouts[1] > timeouts[0]-800*time.Millisecond {
		t.Errorf("timeouts sent %s then %s; want the second about a second shorter", timeouts[0], timeouts[1])
	}
}

// A 429 whose wait does not fit in the deadline, or that says no wait,
// and every other refusal, is the error at once, after one request.
func TestRemoteRefusalsThatAreFinal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		answer     func(http.ResponseWriter)
		want       []string
		wantBefore time.Duration
	}{
		{"busy past the deadline", func(w http.ResponseWriter) { write429(w, ReasonBusy, "30") },
			[]string{`agent "eu-1"`, "is busy", "busy", "retry after 30s"}, 100 * time.Millisecond},
		{"rate past the deadline", func(w http.ResponseWriter) { write429(w, ReasonRate, "30") },
			[]string{`agent "eu-1"`, "request rate is used up", "rate"}, 100 * time.Millisecond},
		{"no Retry-After", func(w http.ResponseWriter) { write429(w, ReasonBusy, "") },
			[]string{`agent "eu-1"`, "busy"}, 100 * time.Millisecond},
		{"junk Retry-After", func(w http.ResponseWriter) { write429(w, ReasonBusy, "soon") },
			[]string{`agent "eu-1"`, "busy"}, 100 * time.Millisecond},
		{"token", func(w http.ResponseWriter) { w.WriteHeader(http.StatusUnauthorized) },
			[]string{`agent "eu-1"`, "refused the token (401)"}, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				tc.answer(w)
			}))
			t.Cleanup(srv.Close)
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := remoteWith(t, srv.URL, 0).Verify(ctx, vantage.Request{Host: "h"}, vantage.Watcher{})
			if elapsed := time.Since(start); elapsed > tc.wantBefore {
				t.Errorf("returned after %s, want within %s", elapsed, tc.wantBefore)
			}
			if err == nil {
				t.Fatal("Verify passed, want the refusal")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %v", err)
			}
			if hits.Load() != 1 {
				t.Errorf("%d requests, want 1", hits.Load())
			}
		})
	}
}

// A verification waiting for a slot returns as soon as its context ends,
// saying which agent it waited for; so does one waiting to retry a 429.
func TestRemoteWaitsEndWithContext(t *testing.T) {
	t.Parallel()
	held := make(chan struct{})
	release := make(chan struct{})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			close(held)
			select {
			case <-release:
			case <-r.Context().Done():
			}
			writeStream(w)
			return
		}
		write429(w, ReasonRate, "1")
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	r := remoteWith(t, srv.URL, 1)
	first := make(chan error, 1)
	go func() {
		_, err := r.Verify(t.Context(), vantage.Request{Host: "h"}, vantage.Watcher{})
		first <- err
	}()
	<-held

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := r.Verify(ctx, vantage.Request{Host: "h"}, vantage.Watcher{})
	if elapsed := time.Since(start); elapsed > 300*time.Millisecond {
		t.Errorf("returned after %s, want soon after the cancel", elapsed)
	}
	if err == nil || !strings.Contains(err.Error(), `agent "eu-1"`) || !strings.Contains(err.Error(), "waiting for a slot") ||
		!errors.Is(err, context.Canceled) {
		t.Errorf("Verify = %v, want a cancel while waiting for a slot of eu-1", err)
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests reached the agent, want 1", hits.Load())
	}

	release <- struct{}{}
	if err := <-first; err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	// Now every request gets 429 rate, Retry-After 1; no deadline, so it
	// waits to retry until the cancel.
	ctx, cancel = context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	_, err = r.Verify(ctx, vantage.Request{Host: "h"}, vantage.Watcher{})
	if elapsed := time.Since(start); elapsed > 400*time.Millisecond {
		t.Errorf("returned after %s, want soon after the cancel", elapsed)
	}
	if err == nil || !strings.Contains(err.Error(), `agent "eu-1"`) || !strings.Contains(err.Error(), "rate") ||
		!errors.Is(err, context.Canceled) {
		t.Errorf("Verify = %v, want the 429 and the cancel", err)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"1":                 time.Second,
		" 7 ":               7 * time.Second,
		"0":                 minRetryWait,
		"3600":              maxRetryWait,
		"99999999999999999": maxRetryWait,
		now.Add(20 * time.Second).Format(http.TimeFormat):  20 * time.Second,
		now.Add(-20 * time.Second).Format(http.TimeFormat): minRetryWait,
		now.Add(time.Hour).Format(http.TimeFormat):         maxRetryWait,
		"":     -1,
		"-1":   -1,
		"1.5":  -1,
		"soon": -1,
	} {
		resp := &http.Response{Header: http.Header{}}
		if v != "" {
			resp.Header.Set("Retry-After", v)
		}
		got, ok := retryAfter(resp, now)
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("Retry-After %q: %s, want %s", v, got, want)
		}
	}
}

// A stream that goes on after its report line is cut after drainWait: the
// report stands and the slot is freed.
func TestRemoteDrainEnds(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeStream(w)
		_ = http.NewResponseController(w).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	start := time.Now()
	rep, err := remoteWith(t, srv.URL, 1).Verify(t.Context(), vantage.Request{Host: "h"}, vantage.Watcher{})
	if elapsed := time.Since(start); err != nil || !rep.Reachable || elapsed < drainWait || elapsed > drainWait+time.Second {
		t.Errorf("Verify = %v after %s; want the report after about %s", err, elapsed, drainWait)
	}
}
