package testnet

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"
)

// TLSTerminator accepts TLS with cfg on 127.0.0.1 and relays each
// connection's plaintext to 127.0.0.1:backend, as a TLS-terminating load
// balancer in front of a plaintext service does (nginx-rtmp has no TLS, so
// this is how rtmps is served in front of it). Connections are cut at
// cleanup, which waits for every relay.
func TLSTerminator(tb testing.TB, cfg *tls.Config, backend uint16) uint16 {
	tb.Helper()
	to := net.JoinHostPort(loopback4, strconv.Itoa(int(backend)))
	return serveConns(tb, loopback4, func(ctx context.Context, c net.Conn) { relayTLS(ctx, tls.Server(c, cfg), to) })
}

// relayTLS completes the handshake on front, dials the backend and copies
// both ways until either side closes or ctx ends.
func relayTLS(ctx context.Context, front *tls.Conn, to string) {
	defer front.Close()
	stop := context.AfterFunc(ctx, func() { _ = front.Close() })
	defer stop()
	// A failed handshake is the client's verdict, which tests provoke.
	if front.HandshakeContext(ctx) != nil {
		return
	}
	var d net.Dialer
	back, err := d.DialContext(ctx, "tcp", to)
	if err != nil {
		return // the client sees the hang-up, as behind a real terminator
	}
	defer back.Close()
	stopBack := context.AfterFunc(ctx, func() { _ = back.Close() })
	defer stopBack()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(back, front)
		// The client is done: let the backend see EOF.
		if tc, ok := back.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, _ = io.Copy(front, back)
	_ = front.Close() // unblocks the other copy
	<-done
}
