package testnet_test

import (
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestTLSTerminator(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	backend := testnet.TCPBanner(t, []byte("hello from behind\n"))
	p := testnet.TLSTerminator(t, &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)}}, backend)
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "localhost"}}
	c, err := d.DialContext(probeCtx(t, 5*time.Second), "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len("hello from behind\n"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello from behind\n" {
		t.Errorf("read %q, %v", got, err)
	}
}
