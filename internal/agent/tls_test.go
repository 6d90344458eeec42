package agent

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/agent/agentapi"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
	"github.com/mediareach/terraform-provider-media/internal/vantage"
)

// With a client CA, the agent refuses in the TLS handshake a caller with
// no certificate or one from another CA, before any lookup or probe, and
// serves one whose certificate that CA signed.
func TestMutualTLS(t *testing.T) {
	h := newHarness(t, []string{"127.0.0.1/32"}, nil)
	h.http.Close() // the harness's server has no client CA; serve the same handler anew

	serverCert, serverKey, serverCA := testnet.CertWithCA(t)
	clientCert, clientKey, clientCA := testnet.ClientCertWithCA(t, "ci-client")
	strangerCert, strangerKey, _ := testnet.ClientCertWithCA(t, "ci-client")
	cfg, err := TLSConfig(testnet.KeyPair(t, serverCert, serverKey), clientCA)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(h.srv)
	ts.TLS = cfg
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	ts.StartTLS()
	t.Cleanup(ts.Close)

	remote := func(cert, key []byte) *agentapi.Remote {
		t.Helper()
		r, err := agentapi.NewRemote(agentapi.RemoteOptions{Name: "eu-1", URL: ts.URL, Token: testToken,
			CACertPEM: string(serverCA), ClientCertPEM: string(cert), ClientKeyPEM: string(key)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	req := tcpRequest("127.0.0.1", testnet.TCPListener(t))
	for name, r := range map[string]*agentapi.Remote{
		"no client certificate": remote(nil, nil),
		"another CA":            remote(strangerCert, strangerKey),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := r.Verify(t.Context(), req, vantage.Watcher{})
			if err == nil || !strings.Contains(err.Error(), "refused the client certificate") {
				t.Fatalf("Verify = %v, want the agent to refuse the client certificate", err)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("the error leaks a secret: %v", err)
			}
		})
	}
	if n := h.resolver.n.Load(); n != 0 {
		t.Errorf("%d lookups for callers refused in the handshake, want 0", n)
	}

	rep, err := remote(clientCert, clientKey).Verify(t.Context(), req, vantage.Watcher{})
	if err != nil || !rep.Reachable {
		t.Fatalf("with the right client certificate: Verify = %+v, %v; want reachable", rep, err)
	}
	// The token is still required beside the certificate.
	bad, err := agentapi.NewRemote(agentapi.RemoteOptions{Name: "eu-1", URL: ts.URL, Token: testToken + "x",
		CACertPEM: string(serverCA), ClientCertPEM: string(clientCert), ClientKeyPEM: string(clientKey)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Verify(t.Context(), req, vantage.Watcher{}); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Errorf("right certificate, wrong token: Verify = %v, want the token refused", err)
	}
}

func TestTLSConfigRefusesAClientCAWithoutCertificates(t *testing.T) {
	cert, key, _ := testnet.CertWithCA(t)
	if _, err := TLSConfig(testnet.KeyPair(t, cert, key), []byte("not PEM")); err == nil {
		t.Error("TLSConfig with a client CA of junk: want an error")
	}
}
