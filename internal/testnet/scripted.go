package testnet

import (
	"bytes"
	"context"
	"errors"
	"io"
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
				if _, err := pc.WriteTo(out, from); errors.Is(err, net.ErrClosed) {
					return // cleanup closed it while reply ran: the test is over
				} else if err != nil {
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
	return serveConns(tb, loopback4, func(_ context.Context, c net.Conn) {
		if _, err := c.Write(banner); err != nil {
			return // the client left first
		}
		drain(c)
	})
}

// ScriptedTCP answers every connection on 127.0.0.1 with whatever reply
// returns for the client's first n bytes (nothing, garbage, a short or a
// right answer), then hangs up when hangUp is set and otherwise reads until
// the client hangs up. A client that sends fewer than n bytes gets no
// answer. Connections are cut at cleanup. reply may run on several
// goroutines at once; req is only valid during the call.
func ScriptedTCP(tb testing.TB, n int, reply func(req []byte) (answer []byte, hangUp bool)) uint16 {
	tb.Helper()
	return serveConns(tb, loopback4, func(_ context.Context, c net.Conn) {
		req := make([]byte, n)
		if _, err := io.ReadFull(c, req); err != nil {
			return
		}
		answer, hangUp := reply(req)
		if _, err := c.Write(answer); err != nil || hangUp {
			return // everything sent was read: the close is a FIN, not a reset
		}
		drain(c)
	})
}

// drain reads from c until the client hangs up or cleanup cuts c.
func drain(c net.Conn) {
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// serveConns runs handle on its own goroutine for every connection to a
// new listener on ip, with a context that ends at cleanup. The connection is
// closed when handle returns or the context ends, whichever comes first, so
// a handler blocked on a silent client ends too. Cleanup closes the
// listener and waits for every handler.
func serveConns(tb testing.TB, ip string, handle func(ctx context.Context, c net.Conn)) uint16 {
	tb.Helper()
	ln := listen(tb, ip)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by cleanup
			}
			wg.Go(func() {
				defer c.Close()
				// After cleanup began, this closes c at once.
				stop := context.AfterFunc(ctx, func() { _ = c.Close() })
				defer stop()
				handle(ctx, c)
			})
		}
	})
	tb.Cleanup(func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
	})
	return port(ln.Addr())
}

// ScriptedUDPFrom is ScriptedUDP whose replies leave from another loopback
// address, from (such as "127.0.0.2"), on the same port: what a prober sees
// from a multihomed server that answers from the wrong address, or from a
// spoofer. A prober must not count them.
func ScriptedUDPFrom(tb testing.TB, from string, reply func(i int, req []byte) [][]byte) uint16 {
	tb.Helper()
	pc := listenPacket(tb, loopback4)
	out, err := bindUDP(tb, from, port(pc.LocalAddr()))
	if err != nil {
		_ = pc.Close()
		tb.Fatalf("testnet: ScriptedUDPFrom: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for i := 0; ; i++ {
			n, client, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed by cleanup
			}
			for _, b := range reply(i, buf[:n]) {
				if _, err := out.WriteTo(b, client); errors.Is(err, net.ErrClosed) {
					return // cleanup closed it while reply ran: the test is over
				} else if err != nil {
					tb.Errorf("testnet: ScriptedUDPFrom write to %s: %v", client, err)
				}
			}
		}
	}()
	tb.Cleanup(func() {
		_ = pc.Close()
		_ = out.Close()
		<-done
	})
	return port(pc.LocalAddr())
}

// maxRequestHead bounds what TCPReplies reads of one request.
const maxRequestHead = 64 << 10

// TCPReplies answers each connection on 127.0.0.1 once: it reads the
// request's head (up to the empty line that ends it, as in HTTP, SIP or
// RTSP), writes whatever reply returns for it (nothing, garbage, a wrong or
// a right answer), then reads until the client hangs up. Connections are
// cut at cleanup. reply may run on several goroutines at once.
func TCPReplies(tb testing.TB, reply func(head []byte) []byte) uint16 {
	tb.Helper()
	return serveConns(tb, loopback4, func(_ context.Context, c net.Conn) {
		var head []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(head, []byte("\r\n\r\n")) {
			n, err := c.Read(buf)
			if err != nil || len(head)+n > maxRequestHead {
				return
			}
			head = append(head, buf[:n]...)
		}
		if out := reply(head); len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return // the client left first
			}
		}
		_, _ = io.Copy(io.Discard, c)
	})
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
