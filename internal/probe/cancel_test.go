package probe

import (
	"context"
	"crypto/tls"
	"errors"
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
			if !errors.Is(r.Err, context.Canceled) {
				t.Errorf("Err = %v, want context.Canceled", r.Err)
			}
			if took := time.Since(begun); took > 2*time.Second {
				t.Errorf("returned %v after cancel", took)
			}
		})
	}
}
