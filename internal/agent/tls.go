package agent

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// TLSConfig is the agent's HTTPS configuration. With clientCAPEM (PEM CA
// certificates, from --client-ca) it is mutual TLS: the handshake requires
// a client certificate signed by one of those CAs and fails without one,
// so a caller without it never gets as far as a request, let alone a
// lookup or a probe. The bearer token is still required on top.
func TLSConfig(cert tls.Certificate, clientCAPEM []byte) (*tls.Config, error) {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAPEM == nil {
		return cfg, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(clientCAPEM) {
		return nil, errors.New("holds no PEM certificate")
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}
