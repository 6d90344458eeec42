package testnet

import (
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Ports that a test binds by number come from below the kernel's ephemeral
// range, which is where every port-0 socket (a listener, a probe's UDP
// socket, an outgoing connection) gets its port: between the search proving
// a port free and the caller binding it, no such socket, of this process or
// another, can take it. Two searches could still pick the same port; the
// random start makes that unlikely, and the caller's bind fails loudly.
const (
	// fixedPortsFrom keeps clear of the low ports that local services use.
	fixedPortsFrom = 10000
	// ephemeralFrom is the lowest ephemeral port we allow for: the Linux
	// default, below the IANA range (49152) that other systems use.
	ephemeralFrom = 32768
	// ephemeralRangeFile holds the Linux ephemeral range, "32768\t60999".
	ephemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range"
)

// FreeUDPPortRange finds n consecutive UDP ports that are free on
// 127.0.0.1, below the ephemeral range, and returns the first. It proves
// them free by binding all n, then releases them for the caller to bind; it
// retries from other random bases when a port in the run is taken.
func FreeUDPPortRange(tb testing.TB, n int) uint16 {
	tb.Helper()
	return freePorts(tb, "udp", n)
}

// freePorts finds n consecutive free ports for network "tcp" or "udp" on
// 127.0.0.1, below the ephemeral range, and returns the first.
func freePorts(tb testing.TB, network string, n int) uint16 {
	tb.Helper()
	below := ephemeralLow()
	if n < 1 || fixedPortsFrom+n > below {
		tb.Fatalf("testnet: %d consecutive %s ports do not fit between %d and the ephemeral range at %d",
			n, network, fixedPortsFrom, below)
	}
	const tries = 100
	for range tries {
		base := fixedPortsFrom + rand.IntN(below-fixedPortsFrom-n+1)
		if bindsAll(tb, network, base, n) {
			return uint16(base)
		}
	}
	tb.Fatalf("testnet: no %d consecutive free %s ports on %s after %d tries", n, network, loopback4, tries)
	return 0
}

// bindsAll reports whether ports base..base+n-1 all bind, and releases
// them.
func bindsAll(tb testing.TB, network string, base, n int) bool {
	tb.Helper()
	return bindsAllOn(tb, network, loopback4, base, n)
}

// bindsAllOn is bindsAll on a loopback ip.
func bindsAllOn(tb testing.TB, network, ip string, base, n int) bool {
	tb.Helper()
	var held []io.Closer
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	for p := base; p < base+n; p++ {
		c, err := bindPort(tb, network, ip, uint16(p))
		if err != nil {
			return false
		}
		held = append(held, c)
	}
	return true
}

func bindPort(tb testing.TB, network, ip string, p uint16) (io.Closer, error) {
	if network == "udp" {
		return bindUDP(tb, ip, p)
	}
	return bindTCP(tb, ip, p)
}

// ephemeralLow is the lowest port the kernel hands to port-0 sockets, at
// most ephemeralFrom.
func ephemeralLow() int {
	b, err := os.ReadFile(ephemeralRangeFile)
	if err != nil {
		return ephemeralFrom // not Linux
	}
	if low, ok := parseEphemeralLow(string(b)); ok {
		return min(low, ephemeralFrom)
	}
	return ephemeralFrom
}

// parseEphemeralLow reads the first port of "32768\t60999\n".
func parseEphemeralLow(s string) (int, bool) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return 0, false
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low < 1 || low > 65535 {
		return 0, false
	}
	return low, true
}
