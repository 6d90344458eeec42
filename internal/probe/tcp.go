package probe

import (
	"context"
	"net"
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

	// KeepAlive -1: the conn is closed at once, so skip the setsockopt calls.
	d := net.Dialer{KeepAlive: -1}
	start := time.Now()
	conn, err := d.DialContext(dctx, "tcp", r.Address)
	if err != nil {
		return r.fail(ctx, start, err)
	}
	res := r.open(start)
	_ = conn.Close()
	return res
}
