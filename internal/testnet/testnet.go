// Package testnet holds loopback helpers shared by probe, responder,
// engine and provider tests: listeners that answer, ports that refuse or
// stay silent, STUN responders and in-memory certificates. Every helper
// binds 127.0.0.1 or ::1 with port 0 (or ports it found free), reports
// failures through tb, and stops what it started in tb.Cleanup.
package testnet

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"
)

const loopback4 = "127.0.0.1"

// Loopback6 returns "::1", or skips the test when IPv6 loopback is missing.
func Loopback6(tb testing.TB) string {
	tb.Helper()
	ln, err := bindTCP(tb, "::1", 0)
	if err != nil {
		SkipOrFail(tb, "no IPv6 loopback: "+err.Error())
	}
	_ = ln.Close()
	return "::1"
}

// TCPListener accepts and closes connections on 127.0.0.1 until cleanup.
func TCPListener(tb testing.TB) uint16 {
	tb.Helper()
	return TCPListenerOn(tb, loopback4)
}

// TCPListenerOn is TCPListener on a loopback ip such as Loopback6's.
func TCPListenerOn(tb testing.TB, ip string) uint16 {
	tb.Helper()
	ln := listen(tb, ip)
	tb.Cleanup(acceptAndClose(tb, ln))
	return port(ln.Addr())
}

// StoppableTCPListener is TCPListener with a stop func that closes the
// listener mid-test, for a port that goes away between two steps: after
// stop the port refuses connections. The port lies below the ephemeral
// range, so no other socket takes it once stopped. stop may run on any
// goroutine and more than once; cleanup runs it too.
func StoppableTCPListener(tb testing.TB) (uint16, func()) {
	tb.Helper()
	// Another search (a parallel test's) can take the port between ours
	// proving it free and binding it: search again then.
	var ln net.Listener
	var err error
	for range 10 {
		if ln, err = bindTCP(tb, loopback4, freePorts(tb, "tcp", 1)); err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatalf("testnet: StoppableTCPListener: %v", err)
	}
	stop := acceptAndClose(tb, ln)
	tb.Cleanup(stop)
	return port(ln.Addr()), stop
}

// TCPListenerLater returns a 127.0.0.1 port that refuses connections for
// now and a start func that listens on it from then on (as TCPListener),
// for a port that opens mid-test. The port lies below the ephemeral range,
// so no other socket takes it in the meantime. start may run on any
// goroutine and more than once, even after the test ended (it then does
// nothing); a failure to bind is reported through tb.Errorf. start reports
// whether the port listens.
func TCPListenerLater(tb testing.TB) (uint16, func() bool) {
	tb.Helper()
	p := freePorts(tb, "tcp", 1)
	var (
		mu    sync.Mutex
		stop  func()
		ended bool
	)
	tb.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		ended = true
		if stop != nil {
			stop()
		}
	})
	start := func() bool {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case ended:
			return false
		case stop != nil:
			return true // already listening
		}
		ln, err := bindTCP(tb, loopback4, p)
		if err != nil {
			tb.Errorf("testnet: TCPListenerLater: %v", err)
			return false
		}
		stop = acceptAndClose(tb, ln)
		return true
	}
	return p, start
}

// acceptAndClose accepts connections on ln and closes them at once, until
// the returned stop closes ln and waits for the loop. stop is idempotent.
func acceptAndClose(tb testing.TB, ln net.Listener) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					tb.Errorf("testnet: accept on %s: %v", ln.Addr(), err)
				}
				return
			}
			_ = c.Close()
		}
	}()
	return sync.OnceFunc(func() {
		_ = ln.Close()
		<-done
	})
}

// ClosedPort returns a 127.0.0.1 port that nothing listens on, for network
// "tcp" or "udp": it binds port 0, notes the port and closes the socket.
func ClosedPort(tb testing.TB, network string) uint16 {
	tb.Helper()
	switch network {
	case "tcp":
		ln := listen(tb, loopback4)
		_ = ln.Close()
		return port(ln.Addr())
	case "udp":
		pc := listenPacket(tb, loopback4)
		_ = pc.Close()
		return port(pc.LocalAddr())
	}
	tb.Fatalf("testnet: ClosedPort: network %q, want tcp or udp", network)
	return 0
}

// SilentUDP returns a 127.0.0.1 UDP port that reads and never replies: to a
// prober it looks filtered, since no ICMP unreachable comes back either.
func SilentUDP(tb testing.TB) uint16 {
	tb.Helper()
	return SilentUDPOn(tb, loopback4)
}

// SilentUDPOn is SilentUDP on a loopback ip such as Loopback6's.
func SilentUDPOn(tb testing.TB, ip string) uint16 {
	tb.Helper()
	return scriptedUDPOn(tb, ip, func(int, []byte) [][]byte { return nil })
}

// ListenTCP binds a TCP listener on a loopback ip and port 0, closed at
// cleanup, for tests that hand sockets to responder.Serve themselves.
func ListenTCP(tb testing.TB, ip string) net.Listener {
	tb.Helper()
	ln := listen(tb, ip)
	tb.Cleanup(func() { _ = ln.Close() })
	return ln
}

// ListenUDP binds a UDP socket on a loopback ip and port 0, closed at
// cleanup.
func ListenUDP(tb testing.TB, ip string) net.PacketConn {
	tb.Helper()
	pc := listenPacket(tb, ip)
	tb.Cleanup(func() { _ = pc.Close() })
	return pc
}

// Dial connects to a loopback address, with a 5s deadline on the conn so a
// test can't hang on it, and closes it at cleanup.
func Dial(tb testing.TB, network string, a net.Addr) net.Conn {
	tb.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(tb.Context(), network, a.String())
	if err != nil {
		tb.Fatalf("testnet: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// listen binds a TCP listener on a loopback ip and port 0.
func listen(tb testing.TB, ip string) net.Listener {
	tb.Helper()
	ln, err := bindTCP(tb, ip, 0)
	if err != nil {
		tb.Fatalf("testnet: %v", err)
	}
	return ln
}

func listenPacket(tb testing.TB, ip string) net.PacketConn {
	tb.Helper()
	pc, err := bindUDP(tb, ip, 0)
	if err != nil {
		tb.Fatalf("testnet: %v", err)
	}
	return pc
}

// bindTCP and bindUDP may run on any goroutine, also once tb.Context is
// done: binding a loopback port never blocks, so they need no context.
func bindTCP(tb testing.TB, ip string, p uint16) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp", hostPort(tb, ip, p))
}

func bindUDP(tb testing.TB, ip string, p uint16) (net.PacketConn, error) {
	var lc net.ListenConfig
	return lc.ListenPacket(context.Background(), "udp", hostPort(tb, ip, p))
}

// hostPort refuses anything but a loopback IP, so no helper can be talked
// into binding every interface.
func hostPort(tb testing.TB, ip string, p uint16) string {
	tb.Helper()
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.IsLoopback() {
		tb.Fatalf("testnet: %q is not a loopback IP", ip)
	}
	return net.JoinHostPort(ip, strconv.Itoa(int(p)))
}

// Port returns the port of a TCP or UDP address, 0 for anything else.
func Port(a net.Addr) uint16 { return port(a) }

func port(a net.Addr) uint16 {
	switch a := a.(type) {
	case *net.TCPAddr:
		return uint16(a.Port)
	case *net.UDPAddr:
		return uint16(a.Port)
	}
	return 0
}
