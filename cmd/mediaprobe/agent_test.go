package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

const agentToken = "cmd-test-token-0123456789"

func tokenFile(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(f, []byte("# test\nci:"+agentToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAgentUsage(t *testing.T) {
	tf := tokenFile(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"agent", "-h"}, exitOK, "Usage: mediaprobe agent"},
		{"no allow", []string{"agent", "--listen", "127.0.0.1:0", "--token-file", tf}, exitUsage, "--allow is required"},
		{"no token file", []string{"agent", "--listen", "127.0.0.1:0", "--allow", "127.0.0.1/32"}, exitUsage, "--token-file is required"},
		{"plain http elsewhere", []string{"agent", "--listen", "0.0.0.0:0", "--allow", "10.0.0.0/8", "--token-file", tf}, exitUsage, "plain HTTP is allowed only on a loopback"},
		{"client ca without tls", []string{"agent", "--listen", "127.0.0.1:0", "--allow", "10.0.0.0/8", "--token-file", tf, "--client-ca", tf}, exitUsage, "--client-ca needs --tls-cert"},
		{"zero rate", []string{"agent", "--listen", "127.0.0.1:0", "--allow", "10.0.0.0/8", "--token-file", tf, "--max-requests-per-minute", "0"}, exitUsage, "--max-requests-per-minute"},
		{"bad log format", []string{"agent", "--listen", "127.0.0.1:0", "--allow", "10.0.0.0/8", "--token-file", tf, "--log-format", "xml"}, exitUsage, "--log-format"},
		{"bad allow", []string{"agent", "--listen", "127.0.0.1:0", "--allow", "10.0.0.0/40", "--token-file", tf}, exitError, "--allow"},
		{"missing token file", []string{"agent", "--listen", "127.0.0.1:0", "--allow", "10.0.0.0/8", "--token-file", tf + ".nope"}, exitError, "--token-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(t.Context(), tc.args, &bytes.Buffer{}, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
		})
	}
}

func TestAgentHelpDoubleDash(t *testing.T) {
	var stderr bytes.Buffer
	run(t.Context(), []string{"agent", "-h"}, &bytes.Buffer{}, &stderr)
	var cfg agentConfig
	var a, b, c string
	newAgentFlags(&cfg, &a, &b, &c).VisitAll(func(f *flag.Flag) {
		name, _ := flag.UnquoteUsage(f)
		if want := fmt.Sprintf("  --%s %s\n", f.Name, name); !strings.Contains(stderr.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	})
	if strings.Contains(stderr.String(), "\n  -l") {
		t.Error("help has a single-dash flag")
	}
}

var listenAddr = regexp.MustCompile(`address=(\S+)`)

// TestAgentServesAndDrains runs `mediaprobe agent` on loopback: a
// verification through Remote passes, and a stop (SIGTERM) ends an
// in-flight run with its partial report.
func TestAgentServesAndDrains(t *testing.T) {
	r := startRespond(t, "agent", "--listen", "127.0.0.1:0", "--allow", "127.0.0.1/32", "--token-file", tokenFile(t), "--name", "lab")
	r.waitListening(t)
	m := listenAddr.FindStringSubmatch(r.out.String())
	if m == nil {
		t.Fatalf("no address in the start line:\n%s", r.out.String())
	}
	base := "http://" + m[1]
	remote, err := agentapi.NewRemote(agentapi.RemoteOptions{Name: "lab", URL: base, Token: agentToken})
	if err != nil {
		t.Fatal(err)
	}
	req := openTCPRequest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	rep, err := remote.Verify(ctx, req, vantage.Watcher{})
	if err != nil || !rep.Reachable || rep.Vantage != "lab" {
		t.Fatalf("Verify = %+v, %v; want reachable from lab", rep, err)
	}

	// A run that cannot pass, in flight when the agent is told to stop.
	req.Checks[0].Port = testnet.UnansweredTCP(t)
	req.Timeout = 5 * time.Minute
	body, _ := json.Marshal(req)
	hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+agentapi.VerifyPath, bytes.NewReader(body))
	hr.Header.Set("Authorization", "Bearer "+agentToken)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s", resp.Status)
	}
	if code := r.stop(t); code != exitOK {
		t.Errorf("exit %d after stop, want 0:\n%s", code, r.out.String())
	}
	var last agentapi.Line
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatal(err)
		}
	}
	if last.Type != agentapi.LineReport || last.Error == "" || last.Report == nil || len(last.Report.Results) != 1 {
		t.Errorf("last line %+v, want the partial report with an error", last)
	}
	logs := r.out.String()
	if strings.Contains(logs, agentToken) {
		t.Error("the logs hold the token")
	}
	if !strings.Contains(logs, "token=ci") || !strings.Contains(logs, "verdict=reachable") {
		t.Errorf("the logs lack who asked or the verdict:\n%s", logs)
	}
}

// TestAgentClientCA runs `mediaprobe agent --client-ca`: a caller without
// a client certificate is refused in the handshake, one with a certificate
// that CA signed is served.
func TestAgentClientCA(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	serverCert, serverKey, serverCA := testnet.CertWithCA(t)
	clientCert, clientKey, clientCA := testnet.ClientCertWithCA(t, "ci")
	r := startRespond(t, "agent", "--listen", "127.0.0.1:0", "--allow", "127.0.0.1/32", "--token-file", tokenFile(t),
		"--tls-cert", write("cert.pem", serverCert), "--tls-key", write("key.pem", serverKey),
		"--client-ca", write("client-ca.pem", clientCA))
	r.waitListening(t)
	m := listenAddr.FindStringSubmatch(r.out.String())
	if m == nil {
		t.Fatalf("no address in the start line:\n%s", r.out.String())
	}
	req := openTCPRequest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name      string
		cert, key []byte
		ok        bool
	}{{"no client certificate", nil, nil, false}, {"client certificate", clientCert, clientKey, true}} {
		remote, err := agentapi.NewRemote(agentapi.RemoteOptions{Name: "lab", URL: "https://" + m[1], Token: agentToken,
			CACertPEM: string(serverCA), ClientCertPEM: string(tc.cert), ClientKeyPEM: string(tc.key)})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := remote.Verify(ctx, req, vantage.Watcher{})
		if tc.ok && (err != nil || !rep.Reachable) {
			t.Errorf("%s: Verify = %+v, %v; want reachable", tc.name, rep, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "refused the client certificate")) {
			t.Errorf("%s: Verify = %v, want the client certificate refused", tc.name, err)
		}
	}
	if !strings.Contains(r.out.String(), "client_certs=true") {
		t.Errorf("the start line does not say client certificates are required:\n%s", r.out.String())
	}
}

// openTCPRequest asks for one open TCP port on loopback.
func openTCPRequest(t *testing.T) vantage.Request {
	return vantage.Request{
		Host:   "127.0.0.1",
		Checks: []check.Spec{{Protocol: "tcp", Port: testnet.TCPListener(t)}},
		Policy: verify.Policy{Interval: 10 * time.Millisecond, AttemptTimeout: time.Second},
	}
}
