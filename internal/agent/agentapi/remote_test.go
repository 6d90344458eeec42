package agentapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

const token = "tok-0123456789abcdef"

func remoteTo(t *testing.T, url string) *Remote {
	t.Helper()
	r, err := NewRemote(RemoteOptions{Name: "eu-1", URL: url, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewRemoteRefuses(t *testing.T) {
	for name, o := range map[string]RemoteOptions{
		"plain http elsewhere": {Name: "a", URL: "http://agent.example.com", Token: token},
		"credentials in url":   {Name: "a", URL: "https://u:p@agent.example.com", Token: token},
		"no token":             {Name: "a", URL: "https://agent.example.com"},
		"local name":           {Name: vantage.LocalName, URL: "https://agent.example.com", Token: token},
		"bad ca":               {Name: "a", URL: "https://agent.example.com", Token: token, CACertPEM: "junk"},
		"ftp":                  {Name: "a", URL: "ftp://agent.example.com", Token: token},
		"client cert, no key":  {Name: "a", URL: "https://agent.example.com", Token: token, ClientCertPEM: "x"},
		"client key not PEM": {Name: "a", URL: "https://agent.example.com", Token: token,
			ClientCertPEM: "x", ClientKeyPEM: "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"},
	} {
		if _, err := NewRemote(o); err == nil {
			t.Errorf("%s: want an error", name)
		} else if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("%s: the error leaks the token: %v", name, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1", "https://agent.example.com"} {
		if _, err := NewRemote(RemoteOptions{Name: "a", URL: u, Token: token}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestRemoteNeverFollowsRedirects(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(target.Close)
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+VerifyPath, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redir.Close)
	_, err := remoteTo(t, redir.URL).Verify(t.Context(), vantage.Request{Host: "h"}, vantage.Watcher{})
	if err == nil || !strings.Contains(err.Error(), "never followed") {
		t.Errorf("Verify = %v, want a redirect error", err)
	}
	if hits.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

func TestRemoteStream(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
		progress         int
	}{
		{"final", `{"type":"progress","report":{"host":"h","reachable":false}}` + "\n" +
			`{"type":"report","report":{"vantage":"x","host":"h","reachable":true,"results":[{"vantage":"x","passed":true}]}}` + "\n", "", 1},
		{"run error", `{"type":"report","report":{"host":"h"},"error":"verification stopped"}` + "\n", `agent "eu-1": verification stopped`, 0},
		{"timed out", `{"type":"report","report":{"host":"h"},"error":"verification stopped","stop":"timeout"}` + "\n",
			`agent "eu-1": verification stopped: context deadline exceeded`, 0},
		{"cut short", `{"type":"progress","report":{"host":"h"}}` + "\n", "ended before the final report", 1},
		{"junk", "hello\n", "bad stream", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer "+token {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.Header().Set("Content-Type", ContentType)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			n := 0
			rep, err := remoteTo(t, srv.URL).Verify(t.Context(), vantage.Request{Host: "h"},
				vantage.Watcher{Progress: func(r verify.Report) {
					if r.Vantage != "eu-1" {
						t.Errorf("progress from %q, want eu-1", r.Vantage)
					}
					n++
				}})
			if n != tc.progress {
				t.Errorf("%d progress calls, want %d", n, tc.progress)
			}
			if tc.want == "" {
				if err != nil || !rep.Reachable || rep.Vantage != "eu-1" || rep.Results[0].Vantage != "eu-1" {
					t.Errorf("Verify = %+v, %v; want a reachable report stamped eu-1", rep, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Verify error = %v, want %q", err, tc.want)
			}
			// Only a run that used its time is a timeout: the provider
			// reports its rows, not a failed agent.
			if timeout := errors.Is(err, context.DeadlineExceeded); timeout != (tc.name == "timed out") {
				t.Errorf("errors.Is(%v, DeadlineExceeded) = %t", err, timeout)
			}
		})
	}
}

func TestRemoteUnreachable(t *testing.T) {
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	_ = ln.Close()
	_, err = remoteTo(t, url).Verify(t.Context(), vantage.Request{Host: "h"}, vantage.Watcher{})
	if err == nil || !strings.Contains(err.Error(), `agent "eu-1"`) || !strings.Contains(err.Error(), "unreachable") ||
		!strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), token) {
		t.Errorf("Verify = %v, want an unreachable error naming the agent", err)
	}
}
