package probe

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestControlGuardsEveryDial: every probe dials through Target.Control, so
// a Control that refuses stops each of them before a packet is sent (the
// agent's allowlist, enforced at dial time). Port 9 on loopback: nothing
// is reached either way, since the dial never happens.
func TestControlGuardsEveryDial(t *testing.T) {
	errRefused := errors.New("refused by the test guard")
	for _, tc := range []struct {
		name  string
		probe func(context.Context, Target) Result
	}{
		{"tcp", func(ctx context.Context, tg Target) Result { return TCP(ctx, tg, TCPOptions{}) }},
		{"stun/udp", func(ctx context.Context, tg Target) Result { return STUN(ctx, tg, STUNOptions{}) }},
		{"stun/tcp", func(ctx context.Context, tg Target) Result { return STUN(ctx, tg, STUNOptions{Transport: "tcp"}) }},
		{"stun/tls", func(ctx context.Context, tg Target) Result { return STUN(ctx, tg, STUNOptions{Transport: "tls"}) }},
		{"tls", func(ctx context.Context, tg Target) Result { return TLS(ctx, tg, TLSOptions{}) }},
		{"http", func(ctx context.Context, tg Target) Result { return HTTP(ctx, tg, HTTPOptions{}) }},
		{"sip/udp", func(ctx context.Context, tg Target) Result { return SIP(ctx, tg, SIPOptions{Transport: "udp"}) }},
		{"sip/tcp", func(ctx context.Context, tg Target) Result { return SIP(ctx, tg, SIPOptions{Transport: "tcp"}) }},
		{"rtsp", func(ctx context.Context, tg Target) Result { return RTSP(ctx, tg, RTSPOptions{}) }},
		{"rtmp", func(ctx context.Context, tg Target) Result { return RTMP(ctx, tg, RTMPOptions{}) }},
		{"srt", func(ctx context.Context, tg Target) Result { return SRT(ctx, tg, SRTOptions{}) }},
		{"turn/udp", func(ctx context.Context, tg Target) Result { return TURN(ctx, tg, TURNOptions{Transport: "udp"}) }},
		{"turn/tcp", func(ctx context.Context, tg Target) Result { return TURN(ctx, tg, TURNOptions{Transport: "tcp"}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			tg := Target{Host: "guarded.test", IP: netip.MustParseAddr("127.0.0.1"), Port: 9,
				Control: func(string, string, syscall.RawConn) error { calls.Add(1); return errRefused }}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			r := tc.probe(ctx, tg)
			if calls.Load() == 0 {
				t.Fatalf("the probe dialed without Target.Control: %s (%s)", r.Status, r.Error)
			}
			if r.Status == StatusOpen {
				t.Errorf("status open through a refusing Control")
			}
		})
	}
}
