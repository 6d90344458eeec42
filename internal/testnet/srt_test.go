package testnet_test

import (
	"net"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// srt-live-transmit answers while its test runs, and is gone once that
// test's cleanup ran: the port refuses (ICMP port unreachable).
func TestSRTListenerStopsAtCleanup(t *testing.T) {
	var p uint16
	t.Run("running", func(t *testing.T) {
		p = testnet.SRTListener(t)
		if r := probe.SRT(probeCtx(t, 5*time.Second), at(p), probe.SRTOptions{}); r.Status != probe.StatusOpen {
			t.Errorf("SRT: %s (%s: %v)", r.Status, r.Cause, r.Error)
		}
	})
	if p == 0 {
		t.Skip("srt-live-transmit did not start")
	}
	if r := probe.SRT(probeCtx(t, 5*time.Second), at(p), probe.SRTOptions{}); r.Status != probe.StatusClosed {
		t.Errorf("after cleanup: %s (%s), want closed", r.Status, r.Cause)
	}
}

func TestScriptedUDPElsewhere(t *testing.T) {
	p := testnet.ScriptedUDPElsewhere(t, func(_ int, req []byte) [][]byte { return [][]byte{append([]byte("re: "), req...)} })
	c := testnet.ListenUDP(t, "127.0.0.1")
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.WriteTo([]byte("hi"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(p)}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, from, err := c.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "re: hi" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if testnet.Port(from) == p {
		t.Errorf("reply came from the port asked, %d", p)
	}
}
