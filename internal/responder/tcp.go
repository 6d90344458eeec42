package responder

import (
	"context"
	"net"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/stunframe"
)

// serveConn answers Binding requests on one stream until the peer hangs up,
// goes idle, sends something that is not STUN, or ctx ends. Over a stream
// STUN messages are delimited by the header's length field (stunframe);
// after bytes that are not STUN, or a length no request has, there is no
// way to find the next message, so the connection is closed.
func serveConn(ctx context.Context, c net.Conn, o *Options) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()

	remote := c.RemoteAddr()
	from := addrPort(remote)
	a := newAnswerer()
	buf := make([]byte, maxMessage)
	for {
		// The deadline also bounds a TLS handshake, which runs on first Read.
		if err := c.SetDeadline(time.Now().Add(o.IdleTimeout)); err != nil {
			return
		}
		msg, err := stunframe.Read(c, buf, maxMessage)
		if err != nil {
			return // hung up, idle, not STUN, or larger than any request
		}
		out := a.answer(msg, from)
		if out == nil {
			continue // other STUN traffic, such as a Binding indication
		}
		if o.OnRequest != nil {
			o.OnRequest(remote)
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}
