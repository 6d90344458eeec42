package testnet

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
)

// HTTPServer answers every request with status on 127.0.0.1 until cleanup,
// over TLS with tlsCert when it is set (see Cert and KeyPair).
func HTTPServer(tb testing.TB, status int, tlsCert *tls.Certificate) uint16 {
	tb.Helper()
	if tlsCert == nil {
		return HTTPSServer(tb, status, nil)
	}
	return HTTPSServer(tb, status, &tls.Config{Certificates: []tls.Certificate{*tlsCert}})
}

// HTTPSServer is HTTPServer over TLS with cfg, such as one that asks for
// client certificates; plain HTTP when cfg is nil.
func HTTPSServer(tb testing.TB, status int, cfg *tls.Config) uint16 {
	tb.Helper()
	// httptest binds 127.0.0.1:0 (falling back to [::1]:0), never all
	// interfaces.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(http.StatusText(status)))
	}))
	// Handshake failures are what TLS tests provoke; the default logger
	// would print them to stderr.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cfg != nil {
		srv.TLS = cfg
		srv.StartTLS()
	} else {
		srv.Start()
	}
	tb.Cleanup(srv.Close)
	return port(srv.Listener.Addr())
}
