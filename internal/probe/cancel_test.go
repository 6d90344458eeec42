package probe

import (
	"context"
	"crypto/tls"
	"sync"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// A user's cancel must give no verdict, promptly, whatever the probe was
// blocked on: a connect to a port that drops SYNs, or a read on a silent
// UDP socket.
func TestCancelIsNoVerdict(t *testing.T) {
	tests := []struct {
		name string
		// start returns the probe to run and a channel closed once the
		// probe is certainly waiting (nil: cancel at once).
		start func(t *testing.T) (func(context.Context) Result, <-chan struct{})
	}{
		{"tcp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return TCP(ctx, tg, TCPOptions{}) }, nil
		}},
		{"stun/udp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			p, received := testnet.SilentUDPReceived(t)
			tg := target("127.0.0.1", p)
			return func(ctx context.Context) Result { return STUN(ctx, tg, STUNOptions{RTO: time.Second}) }, received
		}},
		{"stun/tcp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return STUN(ctx, tg, STUNOptions{Transport: "tcp"}) }, nil
		}},
		{"srt", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			p, received := testnet.SilentUDPReceived(t)
			tg := target("127.0.0.1", p)
			return func(ctx context.Context) Result { return SRT(ctx, tg, SRTOptions{RTO: time.Second}) }, received
		}},
		{"stun/tls", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return STUN(ctx, tg, STUNOptions{Transport: "tls"}) }, nil
		}},
		{"turn/udp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			p, received := testnet.SilentUDPReceived(t)
			tg := target("127.0.0.1", p)
			return func(ctx context.Context) Result { return TURN(ctx, tg, TURNOptions{RTO: time.Second}) }, received
		}},
		{"turn/tcp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return TURN(ctx, tg, TURNOptions{Transport: "tcp"}) }, nil
		}},
		{"tls", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return TLS(ctx, tg, TLSOptions{}) }, nil
		}},
		{"tls/client certificate verdict", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			// TLS 1.3 asking for an optional client certificate: the probe
			// waits for the verdict after the handshake.
			certPEM, keyPEM, pool := testnet.Cert(t)
			p, handshook := testnet.TLSServerHandshook(t, &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)},
				ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS13})
			tg := target("127.0.0.1", p)
			return func(ctx context.Context) Result { return TLS(ctx, tg, TLSOptions{RootCAs: pool}) }, handshook
		}},
		{"rtmp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return RTMP(ctx, tg, RTMPOptions{}) }, nil
		}},
		{"rtmps/after the TLS handshake", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			certPEM, keyPEM, pool := testnet.Cert(t)
			p, handshook := testnet.TLSServerHandshook(t, &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)}})
			tg := target("127.0.0.1", p)
			return func(ctx context.Context) Result { return RTMP(ctx, tg, RTMPOptions{TLS: &TLSOptions{RootCAs: pool}}) }, handshook
		}},
		{"sip/udp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			p, received := testnet.SilentUDPReceived(t)
			tg := target("127.0.0.1", p)
			return func(ctx context.Context) Result { return SIP(ctx, tg, SIPOptions{}) }, received
		}},
		{"sip/udp after a provisional answer", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			trying := make(chan struct{})
			var once sync.Once
			p := testnet.ScriptedUDP(t, func(_ int, req []byte) [][]byte {
				defer once.Do(func() { close(trying) })
				return sipAnswers(t, req, "100 Trying")
			})
			tg := target("127.0.0.1", p)
			return func(ctx context.Context) Result { return SIP(ctx, tg, SIPOptions{}) }, trying
		}},
		{"sip/tcp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return SIP(ctx, tg, SIPOptions{Transport: "tcp"}) }, nil
		}},
		{"rtsp", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return RTSP(ctx, tg, RTSPOptions{}) }, nil
		}},
		{"http", func(t *testing.T) (func(context.Context) Result, <-chan struct{}) {
			tg := target("127.0.0.1", testnet.UnansweredTCP(t))
			return func(ctx context.Context) Result { return HTTP(ctx, tg, HTTPOptions{}) }, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probe, waiting := tt.start(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			t.Cleanup(cancel)
			done := make(chan Result, 1)
			go func() { done <- probe(ctx) }()
			if waiting != nil {
				<-waiting
			}
			begun := time.Now()
			cancel()
			r := <-done
			wantStatus(t, r, StatusNone)
			if r.Code != CodeCancelled {
				t.Errorf("Code = %q (%s), want %q", r.Code, r.Error, CodeCancelled)
			}
			if took := time.Since(begun); took > 2*time.Second {
				t.Errorf("returned %v after cancel", took)
			}
		})
	}
}
