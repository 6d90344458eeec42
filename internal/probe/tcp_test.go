package probe

import (
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestTCP(t *testing.T) {
	t.Run("open", func(t *testing.T) {
		r := TCP(within(t, 5*time.Second), target("127.0.0.1", testnet.TCPListener(t)), TCPOptions{})
		wantStatus(t, r, StatusOpen)
		if r.RTT <= 0 || r.Protocol != "tcp" || r.Transport != "tcp" {
			t.Errorf("result %+v", r)
		}
	})
	t.Run("closed", func(t *testing.T) {
		r := TCP(within(t, 5*time.Second), target("127.0.0.1", testnet.ClosedPort(t, "tcp")), TCPOptions{})
		wantStatus(t, r, StatusClosed)
		if r.Code != CodeRefused || r.Cause != "connection refused" {
			t.Errorf("Code = %q, Cause = %q", r.Code, r.Cause)
		}
	})
	t.Run("filtered", func(t *testing.T) {
		r := TCP(within(t, 200*time.Millisecond), target("127.0.0.1", testnet.UnansweredTCP(t)), TCPOptions{})
		wantStatus(t, r, StatusFiltered)
		if r.Code != CodeNoAnswer {
			t.Errorf("Code = %q (%s), want %q", r.Code, r.Error, CodeNoAnswer)
		}
		if r.RTT != 0 {
			t.Errorf("RTT = %v for silence", r.RTT)
		}
	})
	t.Run("ipv6", func(t *testing.T) {
		ip := testnet.Loopback6(t)
		r := TCP(within(t, 5*time.Second), target(ip, testnet.TCPListenerOn(t, ip)), TCPOptions{})
		wantStatus(t, r, StatusOpen)
		if r.Address[0] != '[' {
			t.Errorf("Address = %q, want brackets", r.Address)
		}
	})
}
