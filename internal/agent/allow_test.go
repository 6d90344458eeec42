package agent

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
)

func TestAllowlistCheck(t *testing.T) {
	for _, tc := range []struct {
		allow []string
		host  string
		ip    string
		ok    bool
	}{
		{[]string{"203.0.113.0/24"}, "x", "203.0.113.9", true},
		{[]string{"203.0.113.0/24"}, "x", "203.0.114.9", false},
		{[]string{"203.0.113.7"}, "x", "203.0.113.7", true},
		{[]string{"2001:db8::/32"}, "x", "2001:db8::1", true},
		{[]string{"Media.Example.com."}, "media.example.com", "198.51.100.1", true},
		{[]string{"media.example.com"}, "other.example.com", "198.51.100.1", false},
		// Special addresses need an entry that names them.
		{[]string{"0.0.0.0/0"}, "x", "127.0.0.1", false},
		{[]string{"0.0.0.0/0"}, "x", "::ffff:127.0.0.1", false},
		{[]string{"::/0"}, "x", "::1", false},
		{[]string{"media.example.com"}, "media.example.com", "127.0.0.1", false},
		{[]string{"127.0.0.1/32"}, "x", "127.0.0.1", true},
		{[]string{"127.0.0.1"}, "x", "::ffff:127.0.0.1", true},
		{[]string{"127.0.0.0/8"}, "x", "127.0.0.5", true},
		{[]string{"::1/128"}, "x", "::1", true},
		{[]string{"0.0.0.0/0"}, "x", "169.254.1.1", false},
		{[]string{"169.254.0.0/16"}, "x", "169.254.1.1", true},
		{[]string{"169.254.0.0/16"}, "x", "169.254.169.254", false},
		{[]string{"169.254.169.254/32"}, "x", "169.254.169.254", true},
		{[]string{"fd00::/8"}, "x", "fd00:ec2::254", false},
		{[]string{"fd00::/8"}, "x", "fd00:ec2::253", true},
		{[]string{"fe80::/10"}, "x", "fe80::1", true},
		{[]string{"::/0"}, "x", "fe80::1", false},
		{[]string{"0.0.0.0/0"}, "x", "0.0.0.0", false},
	} {
		t.Run(strings.Join(tc.allow, ",")+"/"+tc.ip, func(t *testing.T) {
			a, err := ParseAllowlist(tc.allow)
			if err != nil {
				t.Fatal(err)
			}
			err = a.Check(tc.host, netip.MustParseAddr(tc.ip))
			if (err == nil) != tc.ok {
				t.Errorf("Check(%s, %s) = %v, want ok %v", tc.host, tc.ip, err, tc.ok)
			}
		})
	}
}

func TestParseAllowlistRefusesJunk(t *testing.T) {
	for _, e := range []string{"10.0.0.0/33", "not a name!", "::ffff:10.0.0.0/104"} {
		if _, err := ParseAllowlist([]string{e}); err == nil {
			t.Errorf("ParseAllowlist(%q): want an error", e)
		}
	}
}

// The dial guard refuses before a packet leaves: the TCP listener has
// nothing to accept and the UDP socket nothing to read. Loopback delivery
// is synchronous, so a zero deadline read is enough to tell.
func TestDialGuardRefusesBeforeSending(t *testing.T) {
	a, err := ParseAllowlist([]string{"203.0.113.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	guard := a.guard([]netip.Addr{netip.MustParseAddr("203.0.113.5")})
	if err := guard("tcp4", "127.0.0.1:80", nil); err == nil {
		t.Fatal("guard let 127.0.0.1 through")
	}
	if err := guard("tcp6", "[::ffff:127.0.0.1]:80", nil); err == nil {
		t.Fatal("guard let ::ffff:127.0.0.1 through")
	}
	if err := guard("udp4", "203.0.113.5:3478", nil); err != nil {
		t.Fatalf("guard refused a verified address: %v", err)
	}

	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	lo := netip.MustParseAddr("127.0.0.1")
	tcp := probe.TCP(ctx, probe.Target{Host: "h", IP: lo, Port: uint16(ln.Addr().(*net.TCPAddr).Port), Control: guard}, probe.TCPOptions{})         //nolint:forcetypeassert,gosec
	stun := probe.STUN(ctx, probe.Target{Host: "h", IP: lo, Port: uint16(pc.LocalAddr().(*net.UDPAddr).Port), Control: guard}, probe.STUNOptions{}) //nolint:forcetypeassert,gosec
	for _, r := range []probe.Result{tcp, stun} {
		if r.Status == probe.StatusOpen || !strings.Contains(r.Error, "dial guard") {
			t.Errorf("%s probe through a refusing guard: %s (%s), want a dial guard error", r.Protocol, r.Status, r.Error)
		}
	}

	_ = ln.SetDeadline(time.Now())
	if c, err := ln.Accept(); err == nil {
		_ = c.Close()
		t.Error("the TCP listener got a connection through the guard")
	} else if !errors.Is(err, net.ErrClosed) && !isTimeout(err) {
		t.Errorf("accept: %v", err)
	}
	_ = pc.SetReadDeadline(time.Now())
	if _, _, err := pc.ReadFrom(make([]byte, 1500)); err == nil {
		t.Error("the UDP socket got a datagram through the guard")
	}
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}
