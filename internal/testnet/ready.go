package testnet

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"time"
)

// readyTimeout bounds one readiness exchange with a starting server.
const readyTimeout = 2 * time.Second

// dialReady connects to addr over "tcp" or "tls" to ask a starting server
// whether it is up. Over TLS it verifies nothing: the question is only
// whether the server answers; the tests judge its certificate.
func dialReady(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if network == "tls" {
		d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}}
		return d.DialContext(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// answerStarts writes req on c and reports whether the answer starts with
// prefix.
func answerStarts(c net.Conn, req, prefix string) bool {
	_ = c.SetDeadline(time.Now().Add(readyTimeout))
	if _, err := c.Write([]byte(req)); err != nil {
		return false
	}
	buf := make([]byte, len(prefix))
	_, err := io.ReadFull(c, buf)
	return err == nil && string(buf) == prefix
}
