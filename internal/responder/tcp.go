package responder

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"time"

	"github.com/pion/stun/v3"
)

// serveConn answers Binding requests on one stream until the peer hangs up,
// goes idle, sends something that is not STUN, or ctx ends. Over a stream
// STUN messages are self-delimiting through the header's length field
// (RFC 5389 section 7.2.2); after bytes that are not STUN there is no way to
// find the next message, so the connection is closed.
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
		if _, err := io.ReadFull(c, buf[:headerSize]); err != nil {
			return
		}
		if !stun.IsMessage(buf[:headerSize]) {
			return
		}
		size := headerSize + int(binary.BigEndian.Uint16(buf[2:4]))
		if size > len(buf) {
			return
		}
		if _, err := io.ReadFull(c, buf[headerSize:size]); err != nil {
			return
		}
		out := a.answer(buf[:size], from)
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
