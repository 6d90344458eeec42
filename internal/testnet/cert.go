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
	"io"
	"math/big"
	"net"
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
	ca, caKey := newCA(tb, "testnet CA", 10*DefaultCertValidity, nil, nil)
	leaf, leafKey := newLeaf(tb, d, ca, caKey, hosts)
	return pemChain(leaf), pemKey(tb, leafKey), poolOf(ca)
}

// CertChain is Cert with an intermediate CA between the root and the leaf
// that expires d from now, while the leaf keeps DefaultCertValidity. certPEM
// holds the leaf, then the intermediate, as a server sends them.
func CertChain(tb testing.TB, d time.Duration, hosts ...string) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	tb.Helper()
	root, rootKey := newCA(tb, "testnet CA", 10*DefaultCertValidity, nil, nil)
	mid, midKey := newCA(tb, "testnet intermediate CA", d, root, rootKey)
	leaf, leafKey := newLeaf(tb, DefaultCertValidity, mid, midKey, hosts)
	return pemChain(leaf, mid), pemKey(tb, leafKey), poolOf(root)
}

// newCA makes a CA valid for d, signed by parent, or self-signed when
// parent is nil.
func newCA(tb testing.TB, name string, d time.Duration, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	tb.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(tb),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(d),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return sign(tb, tmpl, parent, parentKey)
}

// newLeaf makes a server certificate for hosts (DNS names or IPs; default
// localhost, 127.0.0.1 and ::1) that expires d from now.
func newLeaf(tb testing.TB, d time.Duration, ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string) (*x509.Certificate, *ecdsa.PrivateKey) {
	tb.Helper()
	return newLeafFor(tb, x509.ExtKeyUsageServerAuth, d, ca, caKey, hosts)
}

// newLeafFor is newLeaf for the given extended key usage.
func newLeafFor(tb testing.TB, usage x509.ExtKeyUsage, d time.Duration, ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string) (*x509.Certificate, *ecdsa.PrivateKey) {
	tb.Helper()
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(tb),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(d),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, h := range hosts {
		if ip, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return sign(tb, tmpl, ca, caKey)
}

// sign issues tmpl with a fresh key, signed by parent (self-signed when
// parent is nil).
func sign(tb testing.TB, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	tb.Helper()
	key := newKey(tb)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		tb.Fatalf("testnet: certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("testnet: certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	return c, key
}

func pemChain(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func pemKey(tb testing.TB, k *ecdsa.PrivateKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		tb.Fatalf("testnet: key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func poolOf(ca *x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
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
	return serveTLS(tb, ip, &tls.Config{Certificates: []tls.Certificate{KeyPair(tb, certPEM, keyPEM)}}, false, nil)
}

// TLSServer completes TLS handshakes with cfg on 127.0.0.1 and then holds
// each connection open, reading until the client hangs up, as a server
// that waits for a request does; a handshake that fails is closed once
// crypto/tls sent its alert. Connections are cut at cleanup.
func TLSServer(tb testing.TB, cfg *tls.Config) uint16 {
	tb.Helper()
	return serveTLS(tb, loopback4, cfg, true, nil)
}

// TLSServerHandshook is TLSServer plus a channel closed once the server has
// completed a handshake, so a test can act (cancel, say) once the client's
// handshake is certainly over, without sleeping.
func TLSServerHandshook(tb testing.TB, cfg *tls.Config) (uint16, <-chan struct{}) {
	tb.Helper()
	done := make(chan struct{})
	return serveTLS(tb, loopback4, cfg, true, sync.OnceFunc(func() { close(done) })), done
}

// serveTLS runs handshakes with cfg on ip until cleanup, calling handshook
// (when set) after each that completes, and closing each connection after
// its handshake unless hold is set.
func serveTLS(tb testing.TB, ip string, cfg *tls.Config, hold bool, handshook func()) uint16 {
	tb.Helper()
	return serveConns(tb, ip, func(ctx context.Context, c net.Conn) {
		// Handshake failures are the client's verdict (an untrusted or
		// expired certificate) or ours (no client certificate), which is
		// what tests exercise.
		tc := tls.Server(c, cfg)
		if tc.HandshakeContext(ctx) != nil {
			return
		}
		if handshook != nil {
			handshook()
		}
		if hold {
			_, _ = io.Copy(io.Discard, tc)
		}
	})
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

// CertWithCA is Cert that also returns the CA as PEM, for a client that
// takes its trust as text (a provider's ca_cert_pem) rather than a pool.
func CertWithCA(tb testing.TB, hosts ...string) (certPEM, keyPEM, caPEM []byte) {
	tb.Helper()
	ca, caKey := newCA(tb, "testnet CA", 10*DefaultCertValidity, nil, nil)
	leaf, leafKey := newLeaf(tb, DefaultCertValidity, ca, caKey, hosts)
	return pemChain(leaf), pemKey(tb, leafKey), pemChain(ca)
}

// ClientCertWithCA makes an in-memory CA and a client certificate (TLS
// client auth) it signed for name, as PEM: what a mutual-TLS server
// trusts (caPEM) and what its client presents.
func ClientCertWithCA(tb testing.TB, name string) (certPEM, keyPEM, caPEM []byte) {
	tb.Helper()
	ca, caKey := newCA(tb, "testnet client CA", 10*DefaultCertValidity, nil, nil)
	leaf, leafKey := newLeafFor(tb, x509.ExtKeyUsageClientAuth, DefaultCertValidity, ca, caKey, []string{name})
	return pemChain(leaf), pemKey(tb, leafKey), pemChain(ca)
}
