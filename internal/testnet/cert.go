package testnet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// DefaultCertValidity is how long a Cert leaf stays valid.
const DefaultCertValidity = 365 * 24 * time.Hour

// Cert makes an in-memory CA and a leaf it signed for hosts (DNS names or
// IPs; default localhost, 127.0.0.1 and ::1), all ECDSA P-256. It returns
// the leaf and its key as PEM and a pool holding only the CA, which is what
// a probe should trust.
func Cert(tb testing.TB, hosts ...string) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	tb.Helper()
	return CertValidFor(tb, DefaultCertValidity, hosts...)
}

// CertValidFor is Cert with a leaf that expires d from now.
func CertValidFor(tb testing.TB, d time.Duration, hosts ...string) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	tb.Helper()
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	now := time.Now()
	caKey := newKey(tb)
	ca := &x509.Certificate{
		SerialNumber:          serial(tb),
		Subject:               pkix.Name{CommonName: "testnet CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * DefaultCertValidity),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatalf("testnet: CA certificate: %v", err)
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		tb.Fatalf("testnet: CA certificate: %v", err)
	}

	leafKey := newKey(tb)
	leaf := &x509.Certificate{
		SerialNumber: serial(tb),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(d),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip, err := netip.ParseAddr(h); err == nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip.AsSlice())
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		tb.Fatalf("testnet: leaf certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		tb.Fatalf("testnet: leaf key: %v", err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, pool
}

// KeyPair parses Cert's PEM output for a tls.Config or HTTPServer.
func KeyPair(tb testing.TB, certPEM, keyPEM []byte) tls.Certificate {
	tb.Helper()
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		tb.Fatalf("testnet: key pair: %v", err)
	}
	return c
}

// TLSListener completes TLS handshakes with the given certificate on
// 127.0.0.1 and then closes each connection, until cleanup.
func TLSListener(tb testing.TB, certPEM, keyPEM []byte) uint16 {
	tb.Helper()
	return TLSListenerOn(tb, loopback4, certPEM, keyPEM)
}

// TLSListenerOn is TLSListener on a loopback ip such as Loopback6's.
func TLSListenerOn(tb testing.TB, ip string, certPEM, keyPEM []byte) uint16 {
	tb.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{KeyPair(tb, certPEM, keyPEM)}}
	ln := listen(tb, ip)
	// Cancelled at cleanup so a handshake stuck on a silent client ends.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by cleanup
			}
			wg.Go(func() {
				// Handshake failures are the client's verdict (an untrusted
				// or expired certificate), which is what tests exercise.
				_ = tls.Server(c, cfg).HandshakeContext(ctx)
				_ = c.Close()
			})
		}
	})
	tb.Cleanup(func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
	})
	return port(ln.Addr())
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("testnet: key: %v", err)
	}
	return k
}

func serial(tb testing.TB) *big.Int {
	tb.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		tb.Fatalf("testnet: serial: %v", err)
	}
	return n
}
