package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
)

// listeners are loopback TCP listeners that accept and close every
// connection, so that no backlog fills up over many applies.
type listeners struct {
	ls []net.Listener
	wg sync.WaitGroup
}

// listen binds addr ("127.0.0.x:port"; port 0 lets the kernel choose).
func (s *listeners) listen(ctx context.Context, addr string) (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	s.ls = append(s.ls, l)
	s.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	})
	return portOf(l)
}

func portOf(l net.Listener) (int, error) {
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("listener address %v is not TCP", l.Addr())
	}
	return addr.Port, nil
}

func (s *listeners) close() {
	for _, l := range s.ls {
		_ = l.Close()
	}
	s.wg.Wait()
	s.ls = nil
}

// closedPort is a port of 127.0.0.1 that nobody listens on: bound by the
// kernel's choice, then closed.
func closedPort(ctx context.Context) (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port, err := portOf(l)
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	return port, err
}

// openTargets binds n hosts (127.0.0.1 .. 127.0.0.n) with perHost listeners
// each, on ports the kernel chooses.
func openTargets(ctx context.Context, s *listeners, n, perHost int) ([]target, error) {
	if n > 254 {
		return nil, fmt.Errorf("at most 254 loopback hosts, not %d", n)
	}
	targets := make([]target, n)
	for i := range targets {
		host := "127.0.0." + strconv.Itoa(i+1)
		targets[i].host = host
		for range perHost {
			port, err := s.listen(ctx, net.JoinHostPort(host, "0"))
			if err != nil {
				return nil, fmt.Errorf("listen on %s: %w", host, err)
			}
			targets[i].ports = append(targets[i].ports, port)
		}
	}
	return targets, nil
}
