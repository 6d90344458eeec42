package probe

import (
	"crypto/tls"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v3"
	"github.com/pion/turn/v4"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestTURNRESTCredentials(t *testing.T) {
	now := time.Unix(1700000000, 0) // 2023-11-14T22:13:20Z
	// Computed independently:
	//   printf '1700003600:alice' | openssl dgst -sha1 -hmac 'north wind' -binary | base64
	tests := []struct {
		user, wantUser, wantPass string
	}{
		{"alice", "1700003600:alice", "6GJqgZJb8jO3w69jfrRqnfTbTKU="},
		{"", "1700003600", "mBo2Ih1WGLpV8A2LiyzsQ/TOvao="},
	}
	for _, tt := range tests {
		t.Run(tt.wantUser, func(t *testing.T) {
			user, pass := TURNRESTCredentials("north wind", tt.user, time.Hour, now)
			if user != tt.wantUser || pass != tt.wantPass {
				t.Errorf("TURNRESTCredentials = %q, %q; want %q, %q", user, pass, tt.wantUser, tt.wantPass)
			}
		})
	}
	t.Run("pion accepts them", func(t *testing.T) {
		user, pass := TURNRESTCredentials("north wind", "alice", time.Hour, time.Now())
		key, ok := turn.LongTermTURNRESTAuthHandler("north wind", nil)(user, "realm", nil)
		if !ok || string(key) != string(turn.GenerateAuthKey(user, "realm", pass)) {
			t.Errorf("pion's REST auth handler does not accept %q / %q", user, pass)
		}
	})
}

// turnCase is one TURN probe against a pion/turn server.
type turnCase struct {
	name   string
	server testnet.PionTURNOptions
	opts   TURNOptions
	status Status
	cause  string // prefix
	detail string // substring
}

var pionUsers = map[string]string{"alice": "wonderland"}

func TestTURNPion(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)}}
	alice := TURNOptions{Username: "alice", Password: "wonderland"}
	with := func(o TURNOptions, f func(*TURNOptions)) TURNOptions { f(&o); return o }
	tests := []turnCase{
		{name: "static credentials", server: testnet.PionTURNOptions{Users: pionUsers}, opts: alice,
			status: StatusOpen, detail: "relay allocated at 127.0.0.1:"},
		{name: "shared secret", server: testnet.PionTURNOptions{Secret: "north wind"},
			opts: TURNOptions{Username: "probe", SharedSecret: "north wind"}, status: StatusOpen, detail: "relay allocated at 127.0.0.1:"},
		{name: "expired shared secret", server: testnet.PionTURNOptions{Secret: "north wind"},
			opts:   TURNOptions{Username: "probe", SharedSecret: "north wind", Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }},
			status: StatusError, cause: "Allocate refused: 400 Bad Request (pion/turn-based servers answer so when they refuse the credentials"},
		// pion's server refuses credentials with 400, not the 401 of RFC
		// 8656; TestTURNUnauthorized and the coturn tests see a 401.
		{name: "wrong password", server: testnet.PionTURNOptions{Users: pionUsers},
			opts: with(alice, func(o *TURNOptions) { o.Password = "looking glass" }), status: StatusError,
			cause: `Allocate refused: 400 Bad Request (pion/turn-based servers answer so when they refuse the credentials: username "alice", realm "pion.test")`},
		{name: "realm mismatch", server: testnet.PionTURNOptions{Users: pionUsers},
			opts: with(alice, func(o *TURNOptions) { o.Realm = "example.org" }), status: StatusError,
			cause: `the server's realm is "pion.test", not the configured "example.org"`},
		{name: "realm match", server: testnet.PionTURNOptions{Users: pionUsers},
			opts: with(alice, func(o *TURNOptions) { o.Realm = "pion.test" }), status: StatusOpen},
		{name: "tcp", server: testnet.PionTURNOptions{Network: "tcp", Users: pionUsers},
			opts: with(alice, func(o *TURNOptions) { o.Transport = "tcp"; o.RelayCheck = true }), status: StatusOpen,
			detail: "relay round trip passed"},
		{name: "tls", server: testnet.PionTURNOptions{Network: "tls", TLS: serverTLS, Users: pionUsers},
			opts: with(alice, func(o *TURNOptions) { o.Transport = "tls"; o.TLS.RootCAs = pool }), status: StatusOpen,
			detail: "; TLS 1.3, CN=localhost"},
		{name: "tls untrusted", server: testnet.PionTURNOptions{Network: "tls", TLS: serverTLS, Users: pionUsers},
			opts: with(alice, func(o *TURNOptions) { o.Transport = "tls" }), status: StatusError,
			cause: "certificate signed by unknown authority"},
		{name: "relay round trip", server: testnet.PionTURNOptions{Users: pionUsers},
			opts: with(alice, func(o *TURNOptions) { o.RelayCheck = true }), status: StatusOpen, detail: "; relay round trip passed"},
		{name: "relay permission refused", server: testnet.PionTURNOptions{Users: pionUsers, Permit: func(netip.Addr) bool { return false }},
			opts: with(alice, func(o *TURNOptions) { o.RelayCheck = true }), status: StatusError,
			cause: "turn.relay_check: the server refused a permission toward the prober's own address 127.0.0.1: "},
		{name: "private peers refused", server: testnet.PionTURNOptions{Users: pionUsers, Permit: func(netip.Addr) bool { return false }},
			opts: with(alice, func(o *TURNOptions) { o.DenyPrivatePeers = true }), status: StatusOpen,
			detail: "; all 9 private peers refused"},
		{name: "private peers granted", server: testnet.PionTURNOptions{Users: pionUsers, Permit: func(a netip.Addr) bool { return a.IsPrivate() }},
			opts: with(alice, func(o *TURNOptions) { o.DenyPrivatePeers = true }), status: StatusError,
			cause: CausePrivatePeersPrefix + "10.0.0.1 (RFC 1918), 172.16.0.1 (RFC 1918), 192.168.1.1 (RFC 1918) granted; " +
				"refuse them in turnserver.conf with denied-peer-ip=10.0.0.0-10.255.255.255, " +
				"denied-peer-ip=172.16.0.0-172.31.255.255, denied-peer-ip=192.168.0.0-192.168.255.255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runTURNCase(t, tt) })
	}
}

func runTURNCase(t *testing.T, tt turnCase) Result {
	t.Helper()
	srv := testnet.PionTURN(t, tt.server)
	ip := tt.server.IP
	if ip == "" {
		ip = "127.0.0.1"
	}
	r := TURN(within(t, 5*time.Second), target(ip, srv.Port), tt.opts)
	wantStatus(t, r, tt.status)
	if !strings.HasPrefix(r.Cause, tt.cause) || !strings.Contains(r.Detail, tt.detail) {
		t.Errorf("Cause = %q, Detail = %q; want prefix %q, substring %q", r.Cause, r.Detail, tt.cause, tt.detail)
	}
	if tt.status == StatusOpen {
		if !strings.HasPrefix(r.MappedAddress, strings.Trim(netip.MustParseAddr(ip).String(), "")) && !strings.HasPrefix(r.MappedAddress, "["+ip+"]") {
			t.Errorf("MappedAddress = %q", r.MappedAddress)
		}
		if r.RTT <= 0 || r.Protocol != "turn" {
			t.Errorf("result %+v", r)
		}
	}
	// Every attempt releases its allocation before it returns.
	if n := srv.Allocations(); n != 0 {
		t.Errorf("%d allocations left on the server", n)
	}
	return r
}

// On an IPv6 allocation the private peers are the IPv6 ones and every IPv4
// one in its IPv4-mapped form, sent as an IPv6 XOR-PEER-ADDRESS.
func TestTURNPionIPv6(t *testing.T) {
	ip := testnet.Loopback6(t)
	t.Run("relay round trip", func(t *testing.T) {
		r := runTURNCase(t, turnCase{server: testnet.PionTURNOptions{IP: ip, Users: pionUsers},
			opts: TURNOptions{Username: "alice", Password: "wonderland", RelayCheck: true}, status: StatusOpen, detail: "relay allocated at [::1]:"})
		if !strings.HasPrefix(r.MappedAddress, "[::1]:") {
			t.Errorf("MappedAddress = %q", r.MappedAddress)
		}
	})
	t.Run("private peers", func(t *testing.T) {
		srvOpts := testnet.PionTURNOptions{IP: ip, Users: pionUsers, Permit: func(a netip.Addr) bool { return a.Is4In6() && a.Unmap().IsPrivate() }}
		srv := testnet.PionTURN(t, srvOpts)
		r := TURN(within(t, 5*time.Second), target(ip, srv.Port), TURNOptions{Username: "alice", Password: "wonderland", DenyPrivatePeers: true})
		wantStatus(t, r, StatusError)
		want := CausePrivatePeersPrefix + "::ffff:10.0.0.1 (IPv4-mapped RFC 1918), ::ffff:172.16.0.1 (IPv4-mapped RFC 1918), " +
			"::ffff:192.168.1.1 (IPv4-mapped RFC 1918) granted; refuse them in turnserver.conf with denied-peer-ip=::ffff:0.0.0.0-::ffff:255.255.255.255"
		if r.Cause != want {
			t.Errorf("Cause = %q\nwant    %q", r.Cause, want)
		}
		var asked []netip.Addr
		for _, p := range privatePeers6 {
			asked = append(asked, p.addr)
		}
		if got := srv.PeersAsked(); !slices.Equal(got, asked) {
			t.Errorf("peers asked %v, want %v", got, asked)
		}
		if srv.Allocations() != 0 {
			t.Errorf("allocation left on the server")
		}
	})
}

// A 438 Stale Nonce is retried with the new nonce, for the Allocate and for
// a CreatePermission, and never reported.
func TestTURNStaleNonce(t *testing.T) {
	srv := testnet.PionTURN(t, testnet.PionTURNOptions{Users: pionUsers, Permit: func(netip.Addr) bool { return false }})
	stale := map[stun.Method]bool{}
	proxy := testnet.UDPProxy(t, srv.Port, func(req []byte) ([]byte, bool) {
		m := &stun.Message{Raw: req}
		var nonce stun.Nonce
		if m.Decode() != nil || nonce.GetFrom(m) != nil || stale[m.Type.Method] {
			return nil, true
		}
		if m.Type.Method != stun.MethodAllocate && m.Type.Method != stun.MethodCreatePermission {
			return nil, true
		}
		stale[m.Type.Method] = true
		res, err := stun.Build(stun.NewTransactionIDSetter(m.TransactionID),
			stun.NewType(m.Type.Method, stun.ClassErrorResponse), stun.CodeStaleNonce, nonce, stun.NewRealm("pion.test"))
		if err != nil {
			t.Errorf("build 438: %v", err)
			return nil, true
		}
		return res.Raw, false
	})
	r := TURN(within(t, 5*time.Second), target("127.0.0.1", proxy),
		TURNOptions{Username: "alice", Password: "wonderland", DenyPrivatePeers: true})
	wantStatus(t, r, StatusOpen)
	if !stale[stun.MethodAllocate] || !stale[stun.MethodCreatePermission] {
		t.Errorf("438 sent for %v, want Allocate and CreatePermission", stale)
	}
}

// A server that allocates and then stops answering is an error, not
// filtered: the port answered TURN. It still gets the release.
func TestTURNSilentAfterAllocate(t *testing.T) {
	srv := testnet.PionTURN(t, testnet.PionTURNOptions{Users: pionUsers})
	proxy := testnet.UDPProxy(t, srv.Port, func(req []byte) ([]byte, bool) {
		m := &stun.Message{Raw: req}
		return nil, m.Decode() != nil || m.Type.Method != stun.MethodCreatePermission
	})
	r := TURN(within(t, 300*time.Millisecond), target("127.0.0.1", proxy),
		TURNOptions{Username: "alice", Password: "wonderland", DenyPrivatePeers: true})
	wantStatus(t, r, StatusError)
	if r.Cause != CauseTURNStopped {
		t.Errorf("Cause = %q, want %q", r.Cause, CauseTURNStopped)
	}
	// The release went out after the deadline, unanswered: wait for the
	// server to process it.
	if !srv.WaitDeleted(1) {
		t.Errorf("%d allocations left on the server", srv.Allocations())
	}
}

// A server that refuses the credentials with 401 on the authenticated
// Allocate too, as coturn does.
func TestTURNUnauthorized(t *testing.T) {
	p := testnet.ScriptedUDP(t, func(_ int, req []byte) [][]byte {
		m := &stun.Message{Raw: req}
		if m.Decode() != nil {
			t.Errorf("not STUN: %q", req)
			return nil
		}
		if m.Type.Method != stun.MethodAllocate {
			return nil
		}
		res, err := stun.Build(stun.NewTransactionIDSetter(m.TransactionID), stun.NewType(stun.MethodAllocate, stun.ClassErrorResponse),
			stun.CodeUnauthorized, stun.NewNonce("n0nce"), stun.NewRealm("example.org"))
		if err != nil {
			t.Errorf("build 401: %v", err)
			return nil
		}
		return [][]byte{res.Raw}
	})
	r := TURN(within(t, 5*time.Second), target("127.0.0.1", p), TURNOptions{Username: "alice", Password: "wrong", Realm: "example.com"})
	wantStatus(t, r, StatusError)
	want := `401 Unauthorized: the server refused the credentials (username "alice", realm "example.org"); the configured realm is "example.com"`
	if r.Cause != want {
		t.Errorf("Cause = %q, want %q", r.Cause, want)
	}
}

func TestTURNWrongServers(t *testing.T) {
	tests := []struct {
		name      string
		transport string
		port      func(testing.TB) uint16
		status    Status
		cause     string
		timeout   time.Duration
	}{
		{"stun only/udp", "udp", func(t testing.TB) uint16 { return testnet.STUN(t, "udp") }, StatusError, CauseSTUNOnly, 300 * time.Millisecond},
		{"stun only/tcp", "tcp", func(t testing.TB) uint16 { return testnet.STUN(t, "tcp") }, StatusError, CauseSTUNOnly, 300 * time.Millisecond},
		{"closed/udp", "udp", func(t testing.TB) uint16 { return testnet.ClosedPort(t, "udp") }, StatusClosed, "connection refused", time.Second},
		{"closed/tcp", "tcp", func(t testing.TB) uint16 { return testnet.ClosedPort(t, "tcp") }, StatusClosed, "connection refused", time.Second},
		{"silent/udp", "udp", testnet.SilentUDP, StatusFiltered, "no answer before the deadline", 200 * time.Millisecond},
		{"connect never completes", "tcp", testnet.UnansweredTCP, StatusFiltered, "no answer before the deadline", 200 * time.Millisecond},
		{"mute after connect", "tcp", func(t testing.TB) uint16 { return testnet.TCPBanner(t, nil) }, StatusError,
			"connected, but no TURN answer within attempt_timeout", 200 * time.Millisecond},
		{"hang-up", "tcp", testnet.TCPListener, StatusError, "connection closed without a TURN answer", time.Second},
		{"not TURN", "tcp", func(t testing.TB) uint16 { return testnet.TCPBanner(t, []byte("220 mail.example.com ESMTP\r\n")) },
			StatusError, "not a TURN response", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := TURN(within(t, tt.timeout), target("127.0.0.1", tt.port(t)), TURNOptions{Transport: tt.transport, Username: "a", Password: "b"})
			wantStatus(t, r, tt.status)
			if r.Cause != tt.cause {
				t.Errorf("Cause = %q, want %q (Error %s)", r.Cause, tt.cause, r.Error)
			}
			if tt.status == StatusClosed && r.Code != CodeRefused {
				t.Errorf("Code = %q (%s)", r.Code, r.Error)
			}
		})
	}
}

// A TLS 1.3 server that requires a client certificate refuses ours (we
// have none) only after our handshake, on the first read.
func TestTURNOverTLSClientCertRequired(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	srv := testnet.PionTURN(t, testnet.PionTURNOptions{Network: "tls", Users: pionUsers, TLS: &tls.Config{
		Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)}, ClientAuth: tls.RequireAnyClientCert, MinVersion: tls.VersionTLS13}})
	r := TURN(within(t, 5*time.Second), target("127.0.0.1", srv.Port),
		TURNOptions{Transport: "tls", Username: "alice", Password: "wonderland", TLS: TLSOptions{RootCAs: pool}})
	wantStatus(t, r, StatusError)
	if r.Cause != CauseClientCert {
		t.Errorf("Cause = %q, want %q (Error %s)", r.Cause, CauseClientCert, r.Error)
	}
}

func TestTURNUnknownTransport(t *testing.T) {
	r := TURN(within(t, time.Second), target("127.0.0.1", 3478), TURNOptions{Transport: "dtls"})
	wantStatus(t, r, StatusError)
}

func TestRelayReachable(t *testing.T) {
	server := netip.MustParseAddr("203.0.113.7")
	tests := []struct {
		relayed string
		want    bool
	}{
		{"203.0.113.7", true},
		{"198.51.100.9", true},
		{"2001:db8::1", true},
		{"10.0.0.5", false},
		{"192.168.1.9", false},
		{"100.64.0.9", false},
		{"169.254.169.254", false},
		{"127.0.0.1", false},
		{"fd00::1", false},
	}
	for _, tt := range tests {
		if got := relayReachable(netip.MustParseAddr(tt.relayed), server); got != tt.want {
			t.Errorf("relayReachable(%s) = %v, want %v", tt.relayed, got, tt.want)
		}
	}
	for _, pair := range [][2]string{{"127.0.0.1", "127.0.0.1"}, {"127.0.0.1", "::1"}, {"10.0.0.5", "10.0.0.5"}} {
		if !relayReachable(netip.MustParseAddr(pair[0]), netip.MustParseAddr(pair[1])) {
			t.Errorf("relayed %s on server %s must be reachable", pair[0], pair[1])
		}
	}
	if relayReachable(netip.MustParseAddr("127.0.0.1"), server) {
		t.Error("loopback relayed by a public server must not be reachable")
	}
}
