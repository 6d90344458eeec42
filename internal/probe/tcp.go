package probe

import (
	"context"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// TCPOptions configures TCP. It has no fields yet; the zero value is the
// only value, and it exists so TCP has the same shape as the other probes.
type TCPOptions struct{}

// TCP reports open when a TCP handshake with t completes. A refusal is
// closed and silence until ctx's deadline is filtered.
func TCP(ctx context.Context, t Target, _ TCPOptions) Result {
	r := newResult("tcp", "tcp", t)
	dctx, cancel := withDeadline(ctx)
	defer cancel()

	d := t.dialer()
	start := time.Now()
	conn, err := d.DialContext(dctx, "tcp", r.Address)
	if err != nil {
		return r.fail(ctx, start, err)
	}
	res := r.open(start)
	_ = conn.Close()
	return res
}

// progress records how far a connection got, so that silence can be told
// apart: before the TCP connect completed it is a filtered path, after it a
// mute service. Atomic, because http.Transport dials on a goroutine of its
// own that may outlive a RoundTrip cut short by the deadline.
type progress struct {
	control       func(network, address string, c syscall.RawConn) error // Target.Control
	connected     atomic.Bool                                            // the TCP connect completed
	connectTime   atomic.Int64                                           // how long it took, a time.Duration: about one round trip
	handshook     atomic.Bool                                            // the client finished its TLS handshake
	certRequested atomic.Bool                                            // the server asked for a client certificate
}

// dialTCP connects to addr and notes when the connect completed.
func (p *progress) dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: -1, Control: p.control} // short-lived conn: skip the setsockopt calls
	begin := time.Now()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		p.connectTime.Store(int64(time.Since(begin)))
		p.connected.Store(true)
	}
	return conn, err
}
