package probe

import (
	"context"
	"errors"
	"os"
	"syscall"
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
		if !errors.Is(r.Err, syscall.ECONNREFUSED) || r.Cause != "connection refused" {
			t.Errorf("Err = %v, Cause = %q", r.Err, r.Cause)
		}
	})
	t.Run("filtered", func(t *testing.T) {
		r := TCP(within(t, 200*time.Millisecond), target("127.0.0.1", testnet.UnansweredTCP(t)), TCPOptions{})
		wantStatus(t, r, StatusFiltered)
		if !errors.Is(r.Err, os.ErrDeadlineExceeded) && !errors.Is(r.Err, context.DeadlineExceeded) {
			t.Errorf("Err = %v, want a deadline error", r.Err)
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
