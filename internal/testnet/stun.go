package testnet

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/pion/stun/v3"

	"github.com/mediareach/terraform-provider-media/internal/responder"
	"github.com/mediareach/terraform-provider-media/internal/stunframe"
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

// STUNExchange sends a Binding request on c, a conn to the responder (UDP,
// TCP or TLS), and checks the answer as ReadSTUNAnswer does. It first sets
// a 5s deadline on c, so a test can't hang on a responder that never
// answers.
func STUNExchange(tb testing.TB, c net.Conn) {
	tb.Helper()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		tb.Fatalf("testnet: deadline: %v", err)
	}
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		tb.Fatalf("testnet: Binding request: %v", err)
	}
	if _, err := c.Write(req.Raw); err != nil {
		tb.Fatalf("testnet: send Binding request: %v", err)
	}
	ReadSTUNAnswer(tb, c, req)
}

// ReadSTUNAnswer reads one STUN message from c (a datagram or, on a stream,
// exactly one message framed by its header's length) and fails the test
// unless it is the responder's answer to req: a Binding success with req's
// transaction ID, c's local address as XOR-MAPPED-ADDRESS and
// responder.Software as SOFTWARE.
func ReadSTUNAnswer(tb testing.TB, c net.Conn, req *stun.Message) {
	tb.Helper()
	res := new(stun.Message)
	if _, datagram := c.(net.PacketConn); datagram {
		buf := make([]byte, 2048)
		n, err := c.Read(buf)
		if err != nil {
			tb.Fatalf("testnet: read STUN answer: %v", err)
		}
		res.Raw = buf[:n]
	} else {
		msg, err := stunframe.Read(c, nil, stunframe.MaxSize)
		if err != nil {
			tb.Fatalf("testnet: read STUN answer: %v", err)
		}
		res.Raw = msg
	}
	if err := res.Decode(); err != nil {
		tb.Fatalf("testnet: decode STUN answer: %v", err)
	}
	if res.Type != stun.BindingSuccess || res.TransactionID != req.TransactionID {
		tb.Fatalf("testnet: got %s, want a Binding success for our transaction", res)
	}
	var xa stun.XORMappedAddress
	if err := xa.GetFrom(res); err != nil {
		tb.Fatalf("testnet: XOR-MAPPED-ADDRESS: %v", err)
	}
	if got, want := xa.String(), c.LocalAddr().String(); got != want {
		tb.Errorf("testnet: XOR-MAPPED-ADDRESS %s, want our address %s", got, want)
	}
	var sw stun.Software
	if err := sw.GetFrom(res); err != nil || sw.String() != responder.Software {
		tb.Errorf("testnet: SOFTWARE %q (%v), want %q", sw, err, responder.Software)
	}
}

// STUNOverTLS serves STUN (the responder) over TLS with cfg on one
// 127.0.0.1 port, as a STUN/TURN server's 5349 or 443 does, until cleanup.
func STUNOverTLS(tb testing.TB, cfg *tls.Config) uint16 {
	tb.Helper()
	ln := listen(tb, loopback4)
	Serve(tb, nil, []net.Listener{tls.NewListener(ln, cfg)}, responder.Options{})
	return port(ln.Addr())
}
