package responder

import (
	"net/netip"
	"testing"

	"github.com/pion/stun/v3"
)

func TestAnswerMappedAddress(t *testing.T) {
	tests := []struct{ from, want string }{
		{"192.0.2.1:3478", "192.0.2.1:3478"},
		{"[::ffff:192.0.2.1]:40000", "192.0.2.1:40000"}, // dual-stack socket view of an IPv4 peer
		{"[2001:db8::1]:1", "[2001:db8::1]:1"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			req, err := stun.Build(stun.TransactionID, stun.BindingRequest)
			if err != nil {
				t.Fatal(err)
			}
			out := newAnswerer().answer(req.Raw, netip.MustParseAddrPort(tt.from))
			var res stun.Message
			if err := stun.Decode(out, &res); err != nil {
				t.Fatal(err)
			}
			var xa stun.XORMappedAddress
			if err := xa.GetFrom(&res); err != nil {
				t.Fatal(err)
			}
			if xa.String() != tt.want {
				t.Errorf("mapped %s, want %s", xa.String(), tt.want)
			}
		})
	}
}

func TestAnswerIgnores(t *testing.T) {
	success, _ := stun.Build(stun.TransactionID, stun.BindingSuccess)
	allocate, _ := stun.Build(stun.TransactionID, stun.NewType(stun.MethodAllocate, stun.ClassRequest))
	truncated, _ := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewSoftware("x"))
	tests := map[string][]byte{
		"empty":        nil,
		"not STUN":     []byte("GET / HTTP/1.1\r\n\r\nxxxxxxxxxxxx"),
		"response":     success.Raw,
		"other method": allocate.Raw,
		"truncated":    truncated.Raw[:len(truncated.Raw)-4],
	}
	a := newAnswerer()
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if out := a.answer(b, netip.MustParseAddrPort("192.0.2.1:1")); out != nil {
				t.Errorf("answered %x", out)
			}
		})
	}
}

// The UDP loop's per-packet work must not allocate: at 10,000 probes/s the
// garbage would cost more than the answers.
func TestAnswerAllocs(t *testing.T) {
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		t.Fatal(err)
	}
	a := newAnswerer()
	from := netip.MustParseAddrPort("[2001:db8::1]:3478")
	if n := testing.AllocsPerRun(100, func() { _ = a.answer(req.Raw, from) }); n != 0 {
		t.Errorf("answer allocates %.0f times per request", n)
	}
}

func BenchmarkAnswer(b *testing.B) {
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		b.Fatal(err)
	}
	a := newAnswerer()
	from := netip.MustParseAddrPort("192.0.2.1:3478")
	b.ReportAllocs()
	for b.Loop() {
		_ = a.answer(req.Raw, from)
	}
}
