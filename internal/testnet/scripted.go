package testnet

import (
	"errors"
	"net"
	"sync"
	"testing"
)

// SilentUDPReceived is SilentUDP plus a channel closed when the first
// datagram arrives, so a test can act (cancel, say) once a prober is
// certainly waiting for an answer, without sleeping.
func SilentUDPReceived(tb testing.TB) (uint16, <-chan struct{}) {
	tb.Helper()
	received := make(chan struct{})
	var once sync.Once
	p := ScriptedUDP(tb, func(int, []byte) [][]byte {
		once.Do(func() { close(received) })
		return nil
	})
	return p, received
}

// ScriptedUDP answers datagrams on 127.0.0.1 with whatever reply returns
// for them (nothing, garbage, a wrong or a right STUN message), until
// cleanup. i counts datagrams from 0; req is only valid during the call.
// reply runs on one goroutine, so it may keep state without locking.
func ScriptedUDP(tb testing.TB, reply func(i int, req []byte) [][]byte) uint16 {
	tb.Helper()
	return scriptedUDPOn(tb, loopback4, reply)
}

// scriptedUDPOn is ScriptedUDP on a loopback ip; SilentUDPOn is one whose
// reply is always nothing.
func scriptedUDPOn(tb testing.TB, ip string, reply func(i int, req []byte) [][]byte) uint16 {
	tb.Helper()
	pc := listenPacket(tb, ip)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for i := 0; ; i++ {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed by cleanup
			}
			for _, out := range reply(i, buf[:n]) {
				if _, err := pc.WriteTo(out, from); err != nil {
					tb.Errorf("testnet: ScriptedUDP write to %s: %v", from, err)
				}
			}
		}
	}()
	tb.Cleanup(func() {
		_ = pc.Close()
		<-done
	})
	return port(pc.LocalAddr())
}

// TCPBanner writes banner to every connection on 127.0.0.1 as soon as it is
// accepted, as SSH or SMTP would, then reads until the client hangs up so
// the client never sees a reset. Connections are cut at cleanup.
func TCPBanner(tb testing.TB, banner []byte) uint16 {
	tb.Helper()
	ln := listen(tb, loopback4)
	var (
		mu     sync.Mutex
		conns  = map[net.Conn]bool{}
		closed bool // set at cleanup: later conns are cut at once
		wg     sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by cleanup
			}
			mu.Lock()
			conns[c] = true
			if closed {
				_ = c.Close()
			}
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				if _, err := c.Write(banner); err != nil {
					return // the client left first
				}
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			})
		}
	})
	tb.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return port(ln.Addr())
}

// UDPProxy forwards datagrams between one client and the 127.0.0.1 UDP
// port upstream, until cleanup, except that intercept may answer or drop a
// client's datagram: a reply it returns goes back to the client, and the
// datagram goes upstream only when it returns forward. intercept runs on
// one goroutine, so it may keep state without locking; req is only valid
// during the call.
func UDPProxy(tb testing.TB, upstream uint16, intercept func(req []byte) (reply []byte, forward bool)) uint16 {
	tb.Helper()
	front := listenPacket(tb, loopback4)
	d := net.Dialer{}
	back, err := d.DialContext(tb.Context(), "udp", hostPort(tb, loopback4, upstream))
	if err != nil {
		_ = front.Close()
		tb.Fatalf("testnet: UDPProxy: %v", err)
	}
	var (
		mu     sync.Mutex
		client net.Addr
		wg     sync.WaitGroup
	)
	wg.Go(func() {
		buf := make([]byte, 1<<16)
		for {
			n, from, err := front.ReadFrom(buf)
			if err != nil {
				return // closed by cleanup
			}
			mu.Lock()
			client = from
			mu.Unlock()
			reply, forward := intercept(buf[:n])
			if reply != nil {
				_, _ = front.WriteTo(reply, from)
			}
			if forward {
				_, _ = back.Write(buf[:n])
			}
		}
	})
	wg.Go(func() {
		buf := make([]byte, 1<<16)
		for {
			n, err := back.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue // an ICMP error from upstream: keep going
			}
			mu.Lock()
			to := client
			mu.Unlock()
			if to != nil {
				_, _ = front.WriteTo(buf[:n], to)
			}
		}
	})
	tb.Cleanup(func() {
		_ = front.Close()
		_ = back.Close()
		wg.Wait()
	})
	return port(front.LocalAddr())
}
