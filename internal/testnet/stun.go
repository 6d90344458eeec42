package testnet

import (
	"context"
	"net"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/responder"
)

// STUN serves STUN (the responder) on one 127.0.0.1 port, network "udp" or
// "tcp", until cleanup.
func STUN(tb testing.TB, network string) uint16 {
	tb.Helper()
	return STUNOn(tb, network, loopback4)
}

// STUNOn is STUN on a loopback ip such as Loopback6's.
func STUNOn(tb testing.TB, network, ip string) uint16 {
	tb.Helper()
	return serveSTUN(tb, network, ip, []uint16{0})[0]
}

// STUNOnPorts serves STUN on exactly these 127.0.0.1 ports (for example
// from FreeUDPPortRange) and fails the test if any cannot be bound.
func STUNOnPorts(tb testing.TB, network string, ports []uint16) {
	tb.Helper()
	serveSTUN(tb, network, loopback4, ports)
}

// serveSTUN binds ports on ip and runs responder.Serve on them until
// cleanup, which waits for Serve to return.
func serveSTUN(tb testing.TB, network, ip string, ports []uint16) []uint16 {
	tb.Helper()
	var (
		pcs   []net.PacketConn
		lns   []net.Listener
		bound []uint16
	)
	closeAll := func() {
		for _, pc := range pcs {
			_ = pc.Close()
		}
		for _, ln := range lns {
			_ = ln.Close()
		}
	}
	for _, p := range ports {
		switch network {
		case "udp":
			pc, err := bindUDP(tb, ip, p)
			if err != nil {
				closeAll()
				tb.Fatalf("testnet: STUN: %v", err)
			}
			pcs = append(pcs, pc)
			bound = append(bound, port(pc.LocalAddr()))
		case "tcp":
			ln, err := bindTCP(tb, ip, p)
			if err != nil {
				closeAll()
				tb.Fatalf("testnet: STUN: %v", err)
			}
			lns = append(lns, ln)
			bound = append(bound, port(ln.Addr()))
		default:
			closeAll()
			tb.Fatalf("testnet: STUN: network %q, want udp or tcp", network)
		}
	}
	Serve(tb, pcs, lns, responder.Options{})
	return bound
}

// Serve runs responder.Serve on sockets the caller bound until cleanup, and
// reports an error from Serve through tb.
func Serve(tb testing.TB, pcs []net.PacketConn, lns []net.Listener, o responder.Options) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- responder.Serve(ctx, pcs, lns, o) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("testnet: responder.Serve: %v", err)
		}
	})
}
