package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

const (
	testToken  = "s3cret-token-0123456789"
	otherToken = "other-token-0123456789ab"
)

// countingResolver answers every name with addrs and counts lookups.
type countingResolver struct {
	addrs []netip.Addr
	n     atomic.Int64
}

func (c *countingResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	c.n.Add(1)
	return fixedResolver(c.addrs).LookupNetIP(ctx, network, host)
}

type harness struct {
	srv      *Server
	http     *httptest.Server
	resolver *countingResolver
	done     chan struct{} // gets a value each time a verify handler returns
}

// newHarness serves an agent over TLS on loopback. The resolver answers
// every name with 127.0.0.1.
func newHarness(t *testing.T, allow []string, mutate func(*Config)) *harness {
	t.Helper()
	al, err := ParseAllowlist(allow)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{resolver: &countingResolver{addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}, done: make(chan struct{}, 16)}
	cfg := Config{
		Name:   "eu-1",
		Tokens: []Token{{Name: "ci", Secret: testToken}, {Name: "other", Secret: otherToken}},
		Allow:  al,
		Deps:   verify.Deps{Resolver: h.resolver},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	if h.srv, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.srv.ServeHTTP(w, r)
		if r.URL.Path == agentapi.VerifyPath {
			h.done <- struct{}{}
		}
	}))
	h.http.StartTLS()
	t.Cleanup(h.http.Close)
	return h
}

func (h *harness) remote(t *testing.T, token string) *agentapi.Remote {
	t.Helper()
	return h.remoteWith(t, agentapi.RemoteOptions{Token: token})
}

// remoteWith is remote with o's other options; it sets Name, URL and CACertPEM.
func (h *harness) remoteWith(t *testing.T, o agentapi.RemoteOptions) *agentapi.Remote {
	t.Helper()
	o.Name, o.URL = "eu-1", h.http.URL
	o.CACertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.http.Certificate().Raw}))
	r, err := agentapi.NewRemote(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// post sends body with token ("" = none) and returns the response.
func (h *harness) post(t *testing.T, token string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.http.URL+agentapi.VerifyPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func tcpRequest(host string, port uint16) vantage.Request {
	return vantage.Request{
		Host:   host,
		Checks: []check.Spec{{Protocol: "tcp", Port: port}},
		Policy: verify.Policy{Interval: 10 * time.Millisecond, AttemptTimeout: 500 * time.Millisecond},
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func errorBody(t *testing.T, resp *http.Response) agentapi.ErrorBody {
	t.Helper()
	var eb agentapi.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil {
		t.Fatalf("status %s: decoding the error body: %v", resp.Status, err)
	}
	return eb
}

// closedPort returns a loopback TCP port with nothing listening.
func closedPort(t *testing.T) uint16 {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := uint16(ln.Addr().(*net.TCPAddr).Port) //nolint:forcetypeassert,gosec // a TCP listener; ports fit
	_ = ln.Close()
	return p
}

// answer is what a Verify returned.
type answer struct {
	rep verify.Report
	err error
}

// runningVerify starts a verification of a closed port through the agent
// (testToken, 5 minutes) under ctx, and returns its request once the agent
// has streamed a first progress line; its answer arrives on the channel.
func (h *harness) runningVerify(t *testing.T, ctx context.Context) (vantage.Request, <-chan answer) {
	t.Helper()
	req := tcpRequest("127.0.0.1", closedPort(t))
	req.Timeout = 5 * time.Minute
	progress, got := progressOnce()
	ac := make(chan answer, 1)
	go func() {
		rep, err := h.remote(t, testToken).Verify(ctx, req, vantage.Watcher{Progress: progress})
		ac <- answer{rep, err}
	}()
	waitProgress(t, got)
	return req, ac
}

// progressOnce returns a Progress func and a channel closed at its first call.
func progressOnce() (func(verify.Report), <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	return func(verify.Report) { once.Do(func() { close(ch) }) }, ch
}

// waitProgress waits for the first progress line.
func waitProgress(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for a progress line")
	}
}
