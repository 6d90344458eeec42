// Package responder answers STUN Binding requests on sockets the caller
// owns, so a media server's ports can be verified before the media server
// itself is installed. It speaks just enough STUN for the probes: a Binding
// success with XOR-MAPPED-ADDRESS and SOFTWARE, over UDP and over TCP or
// TLS streams. Everything else is ignored.
package responder

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// Software is the SOFTWARE attribute of every answer, so a probe can tell
// this responder from a real media server.
const Software = "mediaprobe"

// Defaults for the zero Options.
const (
	DefaultMaxConns    = 1024
	DefaultIdleTimeout = 30 * time.Second
)

// Options tune Serve. The zero value is valid.
type Options struct {
	// MaxConns caps TCP connections served at once across all listeners;
	// beyond it, new connections wait in the kernel's accept queue.
	// Defaults to 1024.
	MaxConns int
	// MaxConnsPerSource caps the TCP connections served at once for one
	// source IP, so that one client cannot hold every one of MaxConns;
	// beyond it, a new connection from that source is closed at once.
	// Zero: no cap.
	MaxConnsPerSource int
	// IdleTimeout closes a TCP connection that completes no request for this
	// long. Defaults to 30s.
	IdleTimeout time.Duration
	// UDPRate caps the UDP answers per second to one source IP, across all
	// sockets, and UDPBurst is how many it may have at once: a token
	// bucket per source, so that requests with a spoofed source cannot
	// make the responder a reflector. Requests beyond it are dropped, as
	// the network drops them. Zero (or +Inf): no limit. UDPBurst defaults
	// to one second's worth.
	//
	// The per-source limits are off in the zero Options so that test
	// responders keep up with benchmarks from one loopback address;
	// mediaprobe respond sets them for servers.
	UDPRate  float64
	UDPBurst int
	// OnRequest, if set, is called with the source of every Binding request
	// that is answered, before it is answered. OnLimited, if set, is
	// called with the source of every UDP request dropped by UDPRate and of
	// every TCP connection closed by MaxConnsPerSource. Both are called
	// from many goroutines at once and should return quickly.
	OnRequest func(net.Addr)
	OnLimited func(net.Addr)
}

func (o Options) withDefaults() Options {
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	return o
}

// Serve answers STUN Binding requests on every packet conn and on every
// connection accepted from lns (a TLS listener works, it is a net.Listener).
// It returns nil when ctx ends. If a socket fails for good, for example
// because someone else closed it, Serve stops serving all of them and
// returns that error. Either way it closes every socket and waits for all of
// its goroutines before returning.
func Serve(ctx context.Context, pcs []net.PacketConn, lns []net.Listener, o Options) error {
	o = o.withDefaults()
	s := &server{
		opts:  o,
		sem:   make(chan struct{}, o.MaxConns),
		rates: newSourceRates(o.UDPRate, o.UDPBurst),
		conns: newSourceConns(o.MaxConnsPerSource),
	}
	ctx, s.stop = context.WithCancel(ctx)
	defer s.stop()

	for _, pc := range pcs {
		s.wg.Go(func() { s.check(s.serveUDP(ctx, pc)) })
	}
	for _, ln := range lns {
		s.wg.Go(func() { s.check(s.acceptLoop(ctx, ln)) })
	}
	<-ctx.Done()
	// Closing is what unblocks ReadFrom and Accept; served TCP conns close
	// through their own AfterFunc on ctx.
	for _, pc := range pcs {
		_ = pc.Close()
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	s.wg.Wait()
	return s.err
}

type server struct {
	opts  Options
	sem   chan struct{} // one slot per served TCP conn
	rates *sourceRates  // UDP answers per source
	conns *sourceConns  // TCP conns per source
	wg    sync.WaitGroup
	stop  context.CancelFunc

	mu  sync.Mutex
	err error // the first fatal socket error
}

// check records the first fatal error and stops everything. The loops
// return ctx.Err() once ctx has ended; that is the normal way out, not a
// failure.
func (s *server) check(err error) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.stop()
}

func (s *server) acceptLoop(ctx context.Context, ln net.Listener) error {
	var backoff time.Duration
	for {
		// Take the slot before Accept so that, when full, connections queue
		// in the kernel instead of being accepted and dropped.
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		c, err := ln.Accept()
		if err != nil {
			<-s.sem
			if ctx.Err() != nil {
				return ctx.Err() // we closed it; check ignores this
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("tcp listener %s: %w", ln.Addr(), err)
			}
			// EMFILE and friends pass; back off as net/http does rather
			// than spin or give up.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if !wait(ctx, backoff) {
				return ctx.Err()
			}
			continue
		}
		backoff = 0
		src := addrPort(c.RemoteAddr()).Addr()
		if !s.conns.acquire(src) {
			_ = c.Close()
			<-s.sem
			if s.opts.OnLimited != nil {
				s.opts.OnLimited(c.RemoteAddr())
			}
			continue
		}
		s.wg.Go(func() {
			defer func() {
				s.conns.release(src)
				<-s.sem
			}()
			serveConn(ctx, c, &s.opts)
		})
	}
}

// wait reports whether d passed before ctx ended.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// transient reports read errors that concern one datagram or peer, not the
// socket: an ICMP error queued on the socket must not stop the responder.
func transient(err error) bool {
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}
