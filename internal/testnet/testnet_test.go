package testnet_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func probeCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func at(port uint16) probe.Target {
	return probe.Target{Host: "127.0.0.1", IP: netip.MustParseAddr("127.0.0.1"), Port: port}
}

func TestSTUNOnFreeRange(t *testing.T) {
	const n = 8
	first := testnet.FreeUDPPortRange(t, n)
	ports := make([]uint16, n)
	for i := range ports {
		ports[i] = first + uint16(i)
	}
	// Leave a hole so a caller can test a range with one closed port.
	testnet.STUNOnPorts(t, "udp", append(ports[:3:3], ports[4:]...))
	for i, p := range ports {
		want := probe.StatusOpen
		if i == 3 {
			want = probe.StatusClosed
		}
		if r := probe.STUN(probeCtx(t, 5*time.Second), at(p), probe.STUNOptions{}); r.Status != want {
			t.Errorf("port %d (+%d): %s (%s), want %s", p, i, r.Status, r.Cause, want)
		}
	}
}

func TestPortKinds(t *testing.T) {
	tests := []struct {
		name  string
		port  func(testing.TB) uint16
		probe func(context.Context, probe.Target) probe.Result
		d     time.Duration
		want  probe.Status
	}{
		{"tcp listener", testnet.TCPListener, tcp, 5 * time.Second, probe.StatusOpen},
		{"closed tcp", func(tb testing.TB) uint16 { return testnet.ClosedPort(tb, "tcp") }, tcp, 5 * time.Second, probe.StatusClosed},
		{"unanswered tcp", testnet.UnansweredTCP, tcp, 100 * time.Millisecond, probe.StatusFiltered},
		{"closed udp", func(tb testing.TB) uint16 { return testnet.ClosedPort(tb, "udp") }, stunUDP, 5 * time.Second, probe.StatusClosed},
		{"silent udp", testnet.SilentUDP, stunUDP, 100 * time.Millisecond, probe.StatusFiltered},
		{"stun tcp", func(tb testing.TB) uint16 { return testnet.STUN(tb, "tcp") }, stunTCP, 5 * time.Second, probe.StatusOpen},
		{"http 204", func(tb testing.TB) uint16 { return testnet.HTTPServer(tb, http.StatusNoContent, nil) },
			func(ctx context.Context, tg probe.Target) probe.Result {
				return probe.HTTP(ctx, tg, probe.HTTPOptions{ExpectStatus: http.StatusNoContent})
			}, 5 * time.Second, probe.StatusOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := tt.probe(probeCtx(t, tt.d), at(tt.port(t))); r.Status != tt.want {
				t.Errorf("%s (%s), want %s", r.Status, r.Cause, tt.want)
			}
		})
	}
}

func tcp(ctx context.Context, tg probe.Target) probe.Result {
	return probe.TCP(ctx, tg, probe.TCPOptions{})
}
func stunUDP(ctx context.Context, tg probe.Target) probe.Result {
	return probe.STUN(ctx, tg, probe.STUNOptions{})
}
func stunTCP(ctx context.Context, tg probe.Target) probe.Result {
	return probe.STUN(ctx, tg, probe.STUNOptions{Transport: "tcp"})
}

func TestCert(t *testing.T) {
	certPEM, keyPEM, pool := testnet.CertValidFor(t, 48*time.Hour, "media.example", "192.0.2.1")
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("no PEM block")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Subject.CommonName != "media.example" || len(leaf.DNSNames) != 1 || len(leaf.IPAddresses) != 1 {
		t.Errorf("leaf names: CN=%s DNS=%v IP=%v", leaf.Subject.CommonName, leaf.DNSNames, leaf.IPAddresses)
	}
	if left := time.Until(leaf.NotAfter); left < 47*time.Hour || left > 48*time.Hour {
		t.Errorf("leaf valid for %v more, want about 48h", left)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "media.example"}); err != nil {
		t.Errorf("leaf does not verify against the pool: %v", err)
	}
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	if kp.Leaf == nil {
		t.Error("KeyPair left Leaf empty")
	}
}

func TestCertChain(t *testing.T) {
	certPEM, keyPEM, pool := testnet.CertChain(t, 48*time.Hour)
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	if len(kp.Certificate) != 2 {
		t.Fatalf("%d certificates, want leaf and intermediate", len(kp.Certificate))
	}
	mid, err := x509.ParseCertificate(kp.Certificate[1])
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(mid.NotAfter); left < 47*time.Hour || left > 48*time.Hour {
		t.Errorf("intermediate valid for %v more, want about 48h", left)
	}
	if left := time.Until(kp.Leaf.NotAfter); left < testnet.DefaultCertValidity-time.Hour {
		t.Errorf("leaf valid for %v more, want about %v", left, testnet.DefaultCertValidity)
	}
	inter := x509.NewCertPool()
	inter.AddCert(mid)
	if _, err := kp.Leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: "localhost"}); err != nil {
		t.Errorf("leaf does not verify through the intermediate: %v", err)
	}
}

// The range lies below the ephemeral range, where no port-0 socket lands.
func TestFreeUDPPortRangeBelowEphemeral(t *testing.T) {
	t.Parallel()
	for range 20 {
		first := testnet.FreeUDPPortRange(t, 200)
		if last := int(first) + 199; first < 10000 || last >= 32768 {
			t.Fatalf("range %d-%d, want it within 10000-32767", first, last)
		}
	}
}

func TestTCPListenerLater(t *testing.T) {
	t.Parallel()
	port, start := testnet.TCPListenerLater(t)
	if r := tcp(probeCtx(t, 5*time.Second), at(port)); r.Status != probe.StatusClosed {
		t.Fatalf("before start: %s (%s), want closed", r.Status, r.Cause)
	}
	// From another goroutine, as a test hook would.
	started := make(chan bool)
	go func() { started <- start() }()
	if !<-started {
		t.Fatal("start failed")
	}
	if !start() {
		t.Fatal("a second start must report the port still listening")
	}
	if r := tcp(probeCtx(t, 5*time.Second), at(port)); r.Status != probe.StatusOpen {
		t.Fatalf("after start: %s (%s), want open", r.Status, r.Cause)
	}
	if port < 10000 || port >= 32768 {
		t.Errorf("port %d lies in the ephemeral range", port)
	}
}

func TestStoppableTCPListener(t *testing.T) {
	t.Parallel()
	port, stop := testnet.StoppableTCPListener(t)
	if r := tcp(probeCtx(t, 5*time.Second), at(port)); r.Status != probe.StatusOpen {
		t.Fatalf("before stop: %s (%s), want open", r.Status, r.Cause)
	}
	if port < 10000 || port >= 32768 {
		t.Errorf("port %d lies in the ephemeral range", port)
	}
	stop()
	stop() // idempotent; cleanup calls it once more
	if r := tcp(probeCtx(t, 5*time.Second), at(port)); r.Status != probe.StatusClosed {
		t.Fatalf("after stop: %s (%s), want closed", r.Status, r.Cause)
	}
}
