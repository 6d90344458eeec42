package testnet

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/stun/v3"
)

func TestCoturnConfig(t *testing.T) {
	conf := coturnConfig(CoturnOptions{Users: map[string]string{"alice": "pw"}, AllowLoopbackPeers: true,
		Extra: []string{"denied-peer-ip=10.0.0.0-10.255.255.255"}}, "/d", []string{"127.0.0.1", "::1"}, 20000, 30000)
	for _, line := range []string{
		"listening-ip=127.0.0.1", "listening-ip=::1", "relay-ip=127.0.0.1", "relay-ip=::1",
		"listening-port=20000", "alt-listening-port=20001", "tls-listening-port=20002", "alt-tls-listening-port=20003",
		"min-port=30000", "max-port=30015", "realm=media.test", "lt-cred-mech", "user=alice:pw",
		"cert=/d/cert.pem", "pkey=/d/key.pem", "userdb=/d/turndb", "pidfile=/d/turnserver.pid",
		"no-dtls", "no-cli", "log-file=stdout", "allow-loopback-peers", "denied-peer-ip=10.0.0.0-10.255.255.255",
	} {
		if !strings.Contains("\n"+conf, "\n"+line+"\n") {
			t.Errorf("config lacks %q:\n%s", line, conf)
		}
	}
	if strings.Contains(conf, "daemon") || strings.Contains(conf, "use-auth-secret") {
		t.Errorf("unexpected config:\n%s", conf)
	}
	secret := coturnConfig(CoturnOptions{Secret: "s3"}, "/d", []string{"127.0.0.1"}, 20000, 30000)
	if !strings.Contains(secret, "\nuse-auth-secret\nstatic-auth-secret=s3\n") || strings.Contains(secret, "lt-cred-mech") {
		t.Errorf("secret config:\n%s", secret)
	}
}

// Coturn answers STUN on UDP (checked at start), accepts TCP on Port and
// completes a TLS handshake on TLSPort with a certificate Pool trusts.
func TestCoturn(t *testing.T) {
	s := Coturn(t, CoturnOptions{})
	if s.Version == "" || s.Port == 0 || s.TLSPort == 0 {
		t.Fatalf("server %+v", s)
	}
	c := Dial(t, "tcp", &net.TCPAddr{IP: net.ParseIP(loopback4), Port: int(s.Port)})
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(req.Raw); err != nil {
		t.Fatalf("STUN over TCP to coturn: %v", err)
	}
	buf := make([]byte, 20, 2048)
	_, err = io.ReadFull(c, buf)
	if err == nil {
		buf = buf[:20+int(binary.BigEndian.Uint16(buf[2:4]))]
		_, err = io.ReadFull(c, buf[20:])
	}
	res := &stun.Message{Raw: buf}
	if err != nil || res.Decode() != nil || res.Type != stun.BindingSuccess || res.TransactionID != req.TransactionID {
		t.Fatalf("STUN over TCP to coturn: %v, %v", err, res)
	}
	d := tls.Dialer{Config: &tls.Config{RootCAs: s.Pool, ServerName: "localhost"}}
	tc, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(loopback4, strconv.Itoa(int(s.TLSPort))))
	if err != nil {
		t.Fatalf("TLS to coturn: %v", err)
	}
	_ = tc.Close()
}
