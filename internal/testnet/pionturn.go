package testnet

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v4"
)

// PionTURNOptions configures PionTURN. The zero value serves TURN over UDP
// on 127.0.0.1 with realm "pion.test" and no users.
type PionTURNOptions struct {
	// Network is "udp" (default), "tcp", or "tls" with TLS set.
	Network string
	// IP is the loopback address to listen and relay on. Defaults to
	// 127.0.0.1; with ::1 allocations are IPv6.
	IP string
	// Realm defaults to "pion.test".
	Realm string
	// Users maps usernames to passwords (long-term credentials).
	Users map[string]string
	// Secret, when set, accepts TURN REST API credentials made with it
	// instead of Users.
	Secret string
	// TLS is the server's configuration for Network "tls".
	TLS *tls.Config
	// Permit decides CreatePermission requests per peer. Defaults to
	// granting every peer, as pion does.
	Permit func(peer netip.Addr) bool
}

// PionTURNServer is a running pion/turn server.
type PionTURNServer struct {
	Port    uint16
	srv     *turn.Server
	deleted chan struct{} // one per allocation deleted
	mu      sync.Mutex
	peers   []netip.Addr
}

// Allocations returns how many allocations the server holds now.
func (s *PionTURNServer) Allocations() int { return s.srv.AllocationCount() }

// WaitDeleted waits up to 5s for the server to have deleted n allocations
// in all (beyond those already waited for), as it does when a client
// releases one, and reports whether it did.
func (s *PionTURNServer) WaitDeleted(n int) bool {
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for range n {
		select {
		case <-s.deleted:
		case <-t.C:
			return false
		}
	}
	return true
}

// PeersAsked returns the peers of every CreatePermission so far, in order,
// exactly as the server decoded them: an IPv4-mapped IPv6 peer stays in
// that form.
func (s *PionTURNServer) PeersAsked() []netip.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]netip.Addr(nil), s.peers...)
}

// PionTURN runs pion/turn's TURN server on a loopback port until cleanup:
// fast, in-process, and strict about credentials, for unit tests that need
// no coturn.
func PionTURN(tb testing.TB, o PionTURNOptions) *PionTURNServer {
	tb.Helper()
	if o.IP == "" {
		o.IP = loopback4
	}
	if o.Realm == "" {
		o.Realm = "pion.test"
	}
	hostPort(tb, o.IP, 0) // refuses anything but loopback
	quiet := &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled}
	s := &PionTURNServer{deleted: make(chan struct{}, 1024)}
	cfg := turn.ServerConfig{Realm: o.Realm, LoggerFactory: quiet, EventHandler: turn.EventHandler{
		OnAllocationDeleted: func(net.Addr, net.Addr, string, string, string) {
			select {
			case s.deleted <- struct{}{}:
			default: // a test that never waits
			}
		},
	}}
	if o.Secret != "" {
		cfg.AuthHandler = turn.LongTermTURNRESTAuthHandler(o.Secret, quiet.NewLogger("turn"))
	} else {
		cfg.AuthHandler = func(username, realm string, _ net.Addr) ([]byte, bool) {
			pw, ok := o.Users[username]
			return turn.GenerateAuthKey(username, realm, pw), ok
		}
	}
	relay := loopbackRelay{ip: o.IP}
	permit := func(_ net.Addr, peer net.IP) bool {
		a, _ := netip.AddrFromSlice(peer)
		s.mu.Lock()
		s.peers = append(s.peers, a)
		s.mu.Unlock()
		return o.Permit == nil || o.Permit(a)
	}
	switch o.Network {
	case "", "udp":
		pc := listenPacket(tb, o.IP)
		s.Port = port(pc.LocalAddr())
		cfg.PacketConnConfigs = []turn.PacketConnConfig{{PacketConn: pc, RelayAddressGenerator: relay, PermissionHandler: permit}}
	case "tcp", "tls":
		ln := listen(tb, o.IP)
		s.Port = port(ln.Addr())
		if o.Network == "tls" {
			ln = tls.NewListener(ln, o.TLS)
		}
		cfg.ListenerConfigs = []turn.ListenerConfig{{Listener: ln, RelayAddressGenerator: relay, PermissionHandler: permit}}
	default:
		tb.Fatalf("testnet: PionTURN: network %q, want udp, tcp or tls", o.Network)
	}
	srv, err := turn.NewServer(cfg)
	if err != nil {
		tb.Fatalf("testnet: PionTURN: %v", err)
	}
	s.srv = srv
	tb.Cleanup(func() { _ = srv.Close() })
	return s
}

// loopbackRelay allocates UDP relays on a loopback IP of either family
// (pion's static generator asks for "udp4" only).
type loopbackRelay struct{ ip string }

func (loopbackRelay) Validate() error { return nil }

func (g loopbackRelay) AllocatePacketConn(string, int) (net.PacketConn, net.Addr, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(context.Background(), "udp", net.JoinHostPort(g.ip, "0"))
	if err != nil {
		return nil, nil, err
	}
	return pc, pc.LocalAddr(), nil
}

func (loopbackRelay) AllocateConn(string, int) (net.Conn, net.Addr, error) {
	return nil, nil, errors.New("testnet: PionTURN allocates no TCP relays")
}
