package agentapi

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ClientCertError says which of a client certificate's two attributes is
// wrong: AttrClientCert or AttrClientKey. Its text never holds the key.
type ClientCertError struct {
	Attr string
	msg  string
}

func (e *ClientCertError) Error() string { return e.Attr + " " + e.msg }

// The provider attribute names a ClientCertError points at.
const (
	AttrClientCert = "client_cert_pem"
	AttrClientKey  = "client_key_pem"
)

// ClientKeyPair parses the client certificate (a PEM chain, leaf first)
// and its PEM private key, which the agent checks when it runs with
// --client-ca. Both empty is no client certificate (a zero Certificate
// and no error); one without the other is an error. Errors are
// *ClientCertError and never quote the key.
func ClientKeyPair(certPEM, keyPEM string) (tls.Certificate, error) {
	switch {
	case certPEM == "" && keyPEM == "":
		return tls.Certificate{}, nil
	case keyPEM == "":
		return tls.Certificate{}, &ClientCertError{AttrClientKey, "is required with " + AttrClientCert}
	case certPEM == "":
		return tls.Certificate{}, &ClientCertError{AttrClientCert, "is required with " + AttrClientKey}
	}
	if err := firstCert(certPEM); err != nil {
		return tls.Certificate{}, &ClientCertError{AttrClientCert, err.Error()}
	}
	if !hasKeyBlock(keyPEM) {
		return tls.Certificate{}, &ClientCertError{AttrClientKey, "holds no PEM private key block"}
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		// crypto/tls's messages name the problem, never the key's bytes;
		// still, say it in our words.
		return tls.Certificate{}, &ClientCertError{AttrClientKey,
			"does not parse as a private key, or does not match the certificate in " + AttrClientCert}
	}
	return pair, nil
}

func firstCert(s string) error {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return errors.New("holds no PEM certificate")
	}
	if b.Type != "CERTIFICATE" {
		return fmt.Errorf("starts with a PEM block of type %q, want the client certificate (CERTIFICATE)", b.Type)
	}
	if _, err := x509.ParseCertificate(b.Bytes); err != nil {
		return fmt.Errorf("does not parse as an X.509 certificate: %w", err)
	}
	return nil
}

func hasKeyBlock(s string) bool {
	rest := []byte(s)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			return true
		}
	}
}

// clientCertRefused says whether err is the agent refusing our client
// certificate (or its absence) in the TLS handshake. crypto/tls reports a
// peer's alert as a *net.OpError "remote error" around an unexported type,
// so its text is all there is to match.
func clientCertRefused(err error) bool {
	s := err.Error()
	if !strings.Contains(s, "remote error: tls: ") {
		return false
	}
	for _, alert := range []string{"bad certificate", "unknown certificate authority", "certificate required"} {
		if strings.Contains(s, alert) {
			return true
		}
	}
	return false
}
