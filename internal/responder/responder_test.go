package responder_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/stun/v3"
	"go.uber.org/goleak"

	"github.com/mediareach/terraform-provider-media/internal/responder"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// Every test stops its Serve in cleanup, so nothing may be left running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// served is one Serve call running in the background.
type served struct {
	cancel context.CancelFunc
	done   chan error
	err    error
	ended  bool
}

// wait blocks until Serve returns on its own and returns its error.
func (s *served) wait() error {
	if !s.ended {
		s.err, s.ended = <-s.done, true
	}
	return s.err
}

// stop ends Serve through its context and returns its error.
func (s *served) stop() error {
	s.cancel()
	return s.wait()
}

// start runs Serve until stopped or cleanup; cleanup fails the test if a
// Serve nobody waited for returned an error.
func start(t *testing.T, pcs []net.PacketConn, lns []net.Listener, o responder.Options) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- responder.Serve(ctx, pcs, lns, o) }()
	t.Cleanup(func() {
		waited := s.ended
		if err := s.stop(); err != nil && !waited {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

func bindingRequest(t *testing.T) *stun.Message {
	t.Helper()
	m, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestServeUDP(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			if ip == "::1" {
				testnet.Loopback6(t)
			}
			pc := testnet.ListenUDP(t, ip)
			var seen atomic.Int32
			start(t, []net.PacketConn{pc}, nil, responder.Options{OnRequest: func(net.Addr) { seen.Add(1) }})
			c := testnet.Dial(t, "udp", pc.LocalAddr())

			// Non-STUN and non-request STUN traffic gets no answer, so the
			// first datagram back must answer the real request.
			ind, err := stun.Build(stun.TransactionID, stun.NewType(stun.MethodBinding, stun.ClassIndication))
			if err != nil {
				t.Fatal(err)
			}
			for _, junk := range [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n"), ind.Raw, make([]byte, 19)} {
				if _, err := c.Write(junk); err != nil {
					t.Fatal(err)
				}
			}
			testnet.STUNExchange(t, c)
			testnet.STUNExchange(t, c)
			if n := seen.Load(); n != 2 {
				t.Errorf("OnRequest called %d times, want 2", n)
			}
		})
	}
}

func TestServeTCP(t *testing.T) {
	ln := testnet.ListenTCP(t, "127.0.0.1")
	start(t, nil, []net.Listener{ln}, responder.Options{})

	t.Run("framing", func(t *testing.T) {
		c := testnet.Dial(t, "tcp", ln.Addr())
		testnet.STUNExchange(t, c)
		// A request split across writes, then two requests in one write.
		req := bindingRequest(t)
		for _, part := range [][]byte{req.Raw[:7], req.Raw[7:]} {
			if _, err := c.Write(part); err != nil {
				t.Fatal(err)
			}
		}
		testnet.ReadSTUNAnswer(t, c, req)
		a, b := bindingRequest(t), bindingRequest(t)
		if _, err := c.Write(append(append([]byte(nil), a.Raw...), b.Raw...)); err != nil {
			t.Fatal(err)
		}
		testnet.ReadSTUNAnswer(t, c, a)
		testnet.ReadSTUNAnswer(t, c, b)
	})
	// After a header that is not STUN or announces a length no request
	// has, the stream cannot be followed: the connection closes, even
	// after a good request.
	req := bindingRequest(t)
	header := func(length uint16) []byte {
		h := slices.Clone(req.Raw[:20])
		binary.BigEndian.PutUint16(h[2:4], length)
		return h
	}
	for name, junk := range map[string][]byte{
		"not STUN closes":          []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"bad length closes":        slices.Concat(header(6), make([]byte, 6)),
		"oversize closes":          header(4096),
		"not STUN after a request": slices.Concat(req.Raw, []byte("SSH-2.0-x\r\n\r\n12345678")),
	} {
		t.Run(name, func(t *testing.T) {
			c := testnet.Dial(t, "tcp", ln.Addr())
			if _, err := c.Write(junk); err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(junk, req.Raw) {
				testnet.ReadSTUNAnswer(t, c, req)
			}
			// RST rather than FIN when the server closes with our bytes unread.
			if n, err := c.Read(make([]byte, 64)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("read = %d, %v; want the connection closed", n, err)
			}
		})
	}
}

func TestServeTLS(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)}}
	_, lns, err := responder.Listen(context.Background(), nil, []uint16{0}, "127.0.0.1", cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, nil, lns, responder.Options{})
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "localhost"}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	c, err := d.DialContext(ctx, "tcp", lns[0].Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	testnet.STUNExchange(t, c)
}

func TestIdleTimeout(t *testing.T) {
	ln := testnet.ListenTCP(t, "127.0.0.1")
	start(t, nil, []net.Listener{ln}, responder.Options{IdleTimeout: 50 * time.Millisecond})
	c := testnet.Dial(t, "tcp", ln.Addr())
	testnet.STUNExchange(t, c) // the timer restarts after each request
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("idle conn: read err = %v, want EOF", err)
	}
}

func TestMaxConns(t *testing.T) {
	ln := testnet.ListenTCP(t, "127.0.0.1")
	start(t, nil, []net.Listener{ln}, responder.Options{MaxConns: 1})
	first := testnet.Dial(t, "tcp", ln.Addr())
	testnet.STUNExchange(t, first)

	// The second connection completes in the kernel but is not served
	// while the first holds the only slot.
	second := testnet.Dial(t, "tcp", ln.Addr())
	req := bindingRequest(t)
	if _, err := second.Write(req.Raw); err != nil {
		t.Fatal(err)
	}
	_ = second.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := second.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second conn answered while at MaxConns: %v", err)
	}
	_ = first.Close()
	_ = second.SetReadDeadline(time.Now().Add(5 * time.Second))
	testnet.ReadSTUNAnswer(t, second, req)
}

// dialFrom connects from the loopback address from (port 0) to a, like
// testnet.Dial, so that a test can speak as two sources.
func dialFrom(t *testing.T, network, from string, a net.Addr) net.Conn {
	t.Helper()
	local := netip.AddrPortFrom(netip.MustParseAddr(from), 0)
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: net.TCPAddrFromAddrPort(local)}
	if network == "udp" {
		d.LocalAddr = net.UDPAddrFromAddrPort(local)
	}
	c, err := d.DialContext(t.Context(), network, a.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// limitedFrom waits for OnLimited's report on ch and checks its source.
func limitedFrom(t *testing.T, ch <-chan net.Addr, ip string) {
	t.Helper()
	select {
	case a := <-ch:
		if got := addrIP(a); got != ip {
			t.Errorf("limited %s, want %s", a, ip)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s not limited after 5s", ip)
	}
}

func addrIP(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String()
	}
	return ap.Addr().Unmap().String()
}

// One source over its UDP rate gets no answers; another still does.
func TestUDPRatePerSource(t *testing.T) {
	pc := testnet.ListenUDP(t, "127.0.0.1")
	limited := make(chan net.Addr, 1)
	// A rate this low earns no token while the test runs.
	start(t, []net.PacketConn{pc}, nil, responder.Options{
		UDPRate: 1e-6, UDPBurst: 2, OnLimited: func(a net.Addr) {
			select {
			case limited <- a:
			default: // reported once is enough; never block Serve
			}
		},
	})
	a := dialFrom(t, "udp", "127.0.0.1", pc.LocalAddr())
	b := dialFrom(t, "udp", "127.0.0.2", pc.LocalAddr())
	testnet.STUNExchange(t, a)
	testnet.STUNExchange(t, a)
	if _, err := a.Write(bindingRequest(t).Raw); err != nil {
		t.Fatal(err)
	}
	limitedFrom(t, limited, "127.0.0.1")
	testnet.STUNExchange(t, b)
	// The socket is served in order: an answer to a's request would have
	// been sent before b's.
	_ = a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := a.Read(make([]byte, 2048)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("limited source got %d bytes (err %v), want no answer", n, err)
	}
}

// One source holding its cap of TCP connections cannot starve another:
// its next connection is closed while the other source's is served.
func TestMaxConnsPerSource(t *testing.T) {
	ln := testnet.ListenTCP(t, "127.0.0.1")
	limited := make(chan net.Addr, 1)
	start(t, nil, []net.Listener{ln}, responder.Options{
		MaxConns: 3, MaxConnsPerSource: 2, OnLimited: func(a net.Addr) {
			select {
			case limited <- a:
			default: // reported once is enough; never block Serve
			}
		},
	})
	for range 2 {
		testnet.STUNExchange(t, dialFrom(t, "tcp", "127.0.0.1", ln.Addr()))
	}
	over := dialFrom(t, "tcp", "127.0.0.1", ln.Addr())
	if n, err := over.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("connection over the cap: read = %d, %v; want it closed", n, err)
	}
	limitedFrom(t, limited, "127.0.0.1")
	// Without the per-source cap, the first source would hold all three
	// slots and this connection would wait in the accept queue.
	testnet.STUNExchange(t, dialFrom(t, "tcp", "127.0.0.2", ln.Addr()))
}

func TestServeStops(t *testing.T) {
	pc := testnet.ListenUDP(t, "127.0.0.1")
	ln := testnet.ListenTCP(t, "127.0.0.1")
	s := start(t, []net.PacketConn{pc}, []net.Listener{ln}, responder.Options{})
	c := testnet.Dial(t, "tcp", ln.Addr())
	testnet.STUNExchange(t, c) // a served conn is open when ctx ends

	if err := s.stop(); err != nil {
		t.Fatalf("Serve = %v, want nil after cancel", err)
	}
	if _, _, err := pc.ReadFrom(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("packet conn still open: %v", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("listener still open: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("served conn still open: %v", err)
	}
	goleak.VerifyNone(t)
}

func TestServeFailsWhenSocketDies(t *testing.T) {
	pc, other := testnet.ListenUDP(t, "127.0.0.1"), testnet.ListenUDP(t, "127.0.0.1")
	s := start(t, []net.PacketConn{pc, other}, nil, responder.Options{})
	_ = pc.Close() // not Serve's doing
	err := s.wait()
	if !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Serve = %v, want net.ErrClosed", err)
	}
	if _, _, err := other.ReadFrom(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the other socket was left open: %v", err)
	}
}

// BenchmarkServeUDP measures one request/response round trip through the
// UDP loop over loopback, client side included.
func BenchmarkServeUDP(b *testing.B) {
	pc := testnet.ListenUDP(b, "127.0.0.1")
	testnet.Serve(b, []net.PacketConn{pc}, nil, responder.Options{})
	var d net.Dialer // no deadline: testnet.Dial's would end a long run
	c, err := d.DialContext(b.Context(), "udp", pc.LocalAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 2048)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(req.Raw); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}
