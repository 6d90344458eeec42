package probe

import (
	"context"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// The engine must sustain 10,000 probes/s on two cores against the
// responder; these keep the per-probe cost visible.
func BenchmarkSTUNUDP(b *testing.B) { benchProbe(b, "udp") }
func BenchmarkSTUNTCP(b *testing.B) { benchProbe(b, "tcp") }

func benchProbe(b *testing.B, transport string) {
	tg := target("127.0.0.1", testnet.STUN(b, transport))
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r := STUN(ctx, tg, STUNOptions{Transport: transport})
		cancel()
		if r.Status != StatusOpen {
			b.Fatalf("%s: %s %v", r.Status, r.Cause, r.Error)
		}
	}
}

func BenchmarkTCP(b *testing.B) {
	tg := target("127.0.0.1", testnet.TCPListener(b))
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r := TCP(ctx, tg, TCPOptions{})
		cancel()
		if r.Status != StatusOpen {
			b.Fatalf("%s: %s %v", r.Status, r.Cause, r.Error)
		}
	}
}
