package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/stun/v3"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// respondRun is one in-process `mediaprobe ...` run.
type respondRun struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns
	code   int           // run's exit code, once done is closed
	out    *logBuffer
}

// startRespond calls run(args) in a goroutine; cleanup stops it and waits.
func startRespond(t *testing.T, args ...string) *respondRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r := &respondRun{cancel: cancel, done: make(chan struct{}), out: newLogBuffer("mediaprobe: listening")}
	go func() {
		defer close(r.done)
		r.code = run(ctx, args, io.Discard, r.out)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// waitListening waits for the start line, which is logged once every port is bound.
func (r *respondRun) waitListening(t *testing.T) {
	t.Helper()
	select {
	case <-r.out.seen:
	case <-r.done:
		t.Fatalf("exited with code %d before listening:\n%s", r.code, r.out.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("no start line after 10s:\n%s", r.out.String())
	}
}

// stop cancels the run (as SIGINT would) and returns its exit code.
func (r *respondRun) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.code
	case <-time.After(10 * time.Second):
		t.Fatalf("did not stop within 10s of cancel:\n%s", r.out.String())
		return -1
	}
}

// logBuffer collects log output from many goroutines and closes seen at the
// first write that contains marker.
type logBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   chan struct{}
}

func newLogBuffer(marker string) *logBuffer {
	return &logBuffer{marker: marker, seen: make(chan struct{})}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	hadMarker := strings.Contains(b.buf.String(), b.marker)
	b.buf.Write(p)
	if !hadMarker && strings.Contains(b.buf.String(), b.marker) {
		close(b.seen)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func addr(port uint16) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))) }

func dial(t *testing.T, network, address string) net.Conn {
	t.Helper()
	var d net.Dialer
	c, err := d.DialContext(t.Context(), network, address)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, address, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dialFrom is dial from the loopback address from, so that a test can
// speak as a second source.
func dialFrom(t *testing.T, network, from, address string) net.Conn {
	t.Helper()
	local := net.JoinHostPort(from, "0")
	d := net.Dialer{}
	var err error
	if network == "udp" {
		d.LocalAddr, err = net.ResolveUDPAddr(network, local)
	} else {
		d.LocalAddr, err = net.ResolveTCPAddr(network, local)
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.DialContext(t.Context(), network, address)
	if err != nil {
		t.Fatalf("dial %s %s from %s: %v", network, address, from, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func bindingRequestRaw(t *testing.T) []byte {
	t.Helper()
	m, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		t.Fatal(err)
	}
	return m.Raw
}

// writeCert writes a testnet certificate for 127.0.0.1 (among others) and
// its key as PEM files, and returns their paths and a pool that trusts the
// certificate.
func writeCert(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	certPEM, keyPEM, roots := testnet.Cert(t)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, roots
}
