package responder_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/responder"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

const (
	// netnsEnv is set in the test binary re-executed in a private network
	// namespace.
	netnsEnv = "MEDIA_TEST_IN_NETNS"
	// secondIPv6 is a second IPv6 address on lo, which only a private
	// network namespace can have: loopback has just ::1.
	secondIPv6 = "fd00::2"
)

// needLoopback6 skips (or fails, see skipOrFail) without IPv6 loopback.
func needLoopback6(t *testing.T) {
	t.Helper()
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(t.Context(), "udp6", "[::1]:0")
	if err != nil {
		testnet.SkipOrFail(t, "no IPv6 loopback: "+err.Error())
	}
	_ = pc.Close()
}

// listenUDP binds UDP port 0 on ip, closed when the test ends. Unlike
// testnet's helpers it takes wildcard addresses, which the tests here need,
// and network picks the kind of socket for those: "udp4" AF_INET, "udp6"
// IPv6 only, "udp" dual-stack.
func listenUDP(t *testing.T, network, ip string) net.PacketConn {
	t.Helper()
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(t.Context(), network, net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// requestFrom sends a Binding request from an unconnected socket bound to
// client to ip at the port of server, and returns where the answer came
// from. An unconnected socket is what sees a wrong source: a connected one
// would drop that answer in the kernel.
func requestFrom(t *testing.T, client, ip string, server net.PacketConn) netip.AddrPort {
	t.Helper()
	c := listenUDP(t, "udp", client)
	to := netip.AddrPortFrom(netip.MustParseAddr(ip), testnet.Port(server.LocalAddr()))
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.WriteTo(bindingRequest(t).Raw, net.UDPAddrFromAddrPort(to)); err != nil {
		t.Fatal(err)
	}
	_, from, err := c.ReadFrom(make([]byte, 2048))
	if err != nil {
		t.Fatalf("no answer to a request sent to %s: %v", to, err)
	}
	ua, ok := from.(*net.UDPAddr)
	if !ok {
		t.Fatalf("answer from %T, want *net.UDPAddr", from)
	}
	return ua.AddrPort()
}

// A socket bound to a wildcard address answers from the address each
// request was sent to. 127.0.0.2 is as local as 127.0.0.1, but the routing
// table answers a client on 127.0.0.1 from 127.0.0.1.
func TestUDPAnswersFromRequestedAddress(t *testing.T) {
	tests := []struct {
		name, network, bind string
		client, to          string
		ipv6                bool
	}{
		{name: "ipv4 socket", network: "udp4", bind: "0.0.0.0", client: "127.0.0.1", to: "127.0.0.2"},
		// What responder.Listen binds without an address, and also for
		// 0.0.0.0: Go listens dual-stack on a wildcard unless told udp4.
		{name: "dual-stack socket, ipv4 client", network: "udp", bind: "", client: "127.0.0.1", to: "127.0.0.2"},
		{name: "dual-stack socket, ipv6 client", network: "udp", bind: "", client: "::1", to: "::1", ipv6: true},
		// ::1 is the only IPv6 loopback address, so this one would pass
		// without the fix; TestUDPAnswersFromRequestedAddressIPv6 has two.
		{name: "ipv6 socket", network: "udp6", bind: "::", client: "::1", to: "::1", ipv6: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ipv6 {
				needLoopback6(t)
			}
			var pc net.PacketConn
			if tt.bind == "" {
				pcs, _, err := responder.Listen(t.Context(), []uint16{0}, nil, "", nil)
				if err != nil {
					t.Fatal(err)
				}
				pc = pcs[0]
			} else {
				pc = listenUDP(t, tt.network, tt.bind)
			}
			start(t, []net.PacketConn{pc}, nil, responder.Options{})
			from := requestFrom(t, tt.client, tt.to, pc)
			if want := netip.MustParseAddr(tt.to); from.Addr().Unmap() != want {
				t.Errorf("sent to %s, answered from %s", want, from)
			}
		})
	}
}

// The IPv6 case of TestUDPAnswersFromRequestedAddress with two addresses:
// the test binary runs itself again in a private network namespace whose lo
// has secondIPv6 besides ::1, so nothing can leave the namespace.
func TestUDPAnswersFromRequestedAddressIPv6(t *testing.T) {
	if os.Getenv(netnsEnv) == "1" {
		pc := listenUDP(t, "udp6", "::")
		start(t, []net.PacketConn{pc}, nil, responder.Options{})
		if from := requestFrom(t, "::1", secondIPv6, pc); from.Addr() != netip.MustParseAddr(secondIPv6) {
			t.Errorf("sent to %s, answered from %s", secondIPv6, from)
		}
		return
	}
	if os.Geteuid() != 0 {
		testnet.SkipOrFail(t, "needs root for a private network namespace with a second IPv6 address")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			testnet.SkipOrFail(t, tool+" is not installed (util-linux, iproute2)")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// A container may forbid namespaces even to root.
	if out, err := exec.CommandContext(ctx, "unshare", "-n", "true").CombinedOutput(); err != nil {
		testnet.SkipOrFail(t, fmt.Sprintf("cannot create a network namespace: %v: %s", err, out))
	}
	cmd := exec.CommandContext(ctx, "unshare", "-n", "--", "sh", "-c",
		`ip link set lo up && ip -6 addr add "$1"/128 dev lo nodad && exec "$2" -test.run '^TestUDPAnswersFromRequestedAddressIPv6$' -test.count=1 -test.v`,
		"sh", secondIPv6, os.Args[0])
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in a private network namespace with %s on lo:\n%s", secondIPv6, out)
	if err != nil {
		t.Fatalf("re-executed test failed: %v", err)
	}
}
