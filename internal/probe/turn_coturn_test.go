package probe

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// Tests against a real TURN server: Debian's coturn, started on loopback
// by testnet.Coturn (skipped without turnserver, failed under
// MEDIA_REQUIRE_ALL_TESTS=1).

var coturnUsers = map[string]string{"alice": "wonderland"}

// coturnPort is the port of s that serves transport.
func coturnPort(s testnet.CoturnServer, transport string) uint16 {
	if transport == "tls" {
		return s.TLSPort
	}
	return s.Port
}

// wantAllocation checks an open result's relayed and mapped addresses.
func wantAllocation(t *testing.T, r Result, ip string) {
	t.Helper()
	relayed, ok := strings.CutPrefix(r.Detail, "relay allocated at ")
	relayed, _, _ = strings.Cut(relayed, " ")
	ap, err := netip.ParseAddrPort(relayed)
	if !ok || err != nil || !ap.Addr().IsLoopback() {
		t.Errorf("Detail = %q, want the relayed loopback address first", r.Detail)
	}
	if !strings.Contains(r.Detail, "(software: Coturn-") {
		t.Errorf("Detail = %q, want coturn's SOFTWARE", r.Detail)
	}
	if m, err := netip.ParseAddrPort(r.MappedAddress); err != nil || m.Addr().String() != ip {
		t.Errorf("MappedAddress = %q, want %s:port", r.MappedAddress, ip)
	}
}

func TestTURNCoturnStaticCredentials(t *testing.T) {
	s := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers})
	opened := 0
	for _, transport := range []string{"udp", "tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			opened++
			r := TURN(within(t, 5*time.Second), target("127.0.0.1", coturnPort(s, transport)), TURNOptions{Transport: transport,
				Username: "alice", Password: "wonderland", Realm: "media.test", TLS: TLSOptions{RootCAs: s.Pool}})
			wantStatus(t, r, StatusOpen)
			wantAllocation(t, r, "127.0.0.1")
			if transport == "tls" && !strings.Contains(r.Detail, ", CN=localhost, expires ") {
				t.Errorf("Detail = %q, want the TLS certificate", r.Detail)
			}
		})
	}
	t.Run("ipv6", func(t *testing.T) {
		if !s.IPv6 {
			testnet.SkipOrFail(t, "coturn does not listen on ::1")
		}
		opened++
		r := TURN(within(t, 5*time.Second), target("::1", s.Port), TURNOptions{Username: "alice", Password: "wonderland"})
		wantStatus(t, r, StatusOpen)
		wantAllocation(t, r, "::1")
	})
	// Every attempt releases its allocation: coturn logs the Refresh with
	// lifetime 0 of each one, which it answered before the probe returned.
	if got := s.LogCount("refreshed, realm=<media.test>, username=<alice>, lifetime=0", opened); got != opened {
		t.Errorf("coturn logged %d releases (Refresh with lifetime 0), want %d", got, opened)
	}
}

func TestTURNCoturnSharedSecret(t *testing.T) {
	s := testnet.Coturn(t, testnet.CoturnOptions{Secret: "north wind"})
	r := TURN(within(t, 5*time.Second), target("127.0.0.1", s.Port), TURNOptions{Username: "probe", SharedSecret: "north wind"})
	wantStatus(t, r, StatusOpen)
	wantAllocation(t, r, "127.0.0.1")

	r = TURN(within(t, 5*time.Second), target("127.0.0.1", s.Port), TURNOptions{Username: "probe", SharedSecret: "south wind"})
	wantStatus(t, r, StatusError)
	if !strings.HasPrefix(r.Cause, CauseTURNUnauthorized+": ") {
		t.Errorf("Cause = %q", r.Cause)
	}
}

func TestTURNCoturnWrongPassword(t *testing.T) {
	s := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers})
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			r := TURN(within(t, 5*time.Second), target("127.0.0.1", s.Port), TURNOptions{Transport: transport, Username: "alice", Password: "looking glass"})
			wantStatus(t, r, StatusError)
			want := `401 Unauthorized: the server refused the credentials (username "alice", realm "media.test")`
			if r.Cause != want {
				t.Errorf("Cause = %q, want %q", r.Cause, want)
			}
		})
	}
}

func TestTURNCoturnRelayRoundTrip(t *testing.T) {
	// allow-loopback-peers: on loopback the peer socket is 127.0.0.1.
	s := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers, AllowLoopbackPeers: true})
	for _, transport := range []string{"udp", "tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			r := TURN(within(t, 5*time.Second), target("127.0.0.1", coturnPort(s, transport)), TURNOptions{Transport: transport,
				Username: "alice", Password: "wonderland", RelayCheck: true, TLS: TLSOptions{RootCAs: s.Pool}})
			wantStatus(t, r, StatusOpen)
			if !strings.Contains(r.Detail, "; relay round trip passed") {
				t.Errorf("Detail = %q", r.Detail)
			}
		})
	}
	t.Run("ipv6 client, IPv4 relay", func(t *testing.T) {
		if !s.IPv6 {
			testnet.SkipOrFail(t, "coturn does not listen on ::1")
		}
		// coturn allocates IPv4 when the client asks for no family, as
		// pion's client does.
		r := TURN(within(t, 5*time.Second), target("::1", s.Port), TURNOptions{Username: "alice", Password: "wonderland", RelayCheck: true})
		wantStatus(t, r, StatusOpen)
	})
	t.Run("loopback peers refused", func(t *testing.T) {
		strict := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers})
		r := TURN(within(t, 5*time.Second), target("127.0.0.1", strict.Port), TURNOptions{Username: "alice", Password: "wonderland", RelayCheck: true})
		wantStatus(t, r, StatusError)
		want := "turn.relay_check: the server refused a permission toward the prober's own address 127.0.0.1: 403 Forbidden"
		if !strings.HasPrefix(r.Cause, want) { // coturn says "403 Forbidden IP"
			t.Errorf("Cause = %q, want prefix %q", r.Cause, want)
		}
	})
}

// coturnDefaultGrants is what Debian's coturn 4.6.1 grants with no peer
// restrictions in its configuration: everything but loopback and 0.0.0.0.
const coturnDefaultGrants = CausePrivatePeersPrefix + "10.0.0.1 (RFC 1918), 172.16.0.1 (RFC 1918), 192.168.1.1 (RFC 1918), " +
	"100.64.0.1 (CGNAT), 169.254.1.1 (link-local), 169.254.169.254 (cloud metadata), 224.0.0.1 (multicast) granted; " +
	"refuse them in turnserver.conf with denied-peer-ip=10.0.0.0-10.255.255.255, denied-peer-ip=172.16.0.0-172.31.255.255, " +
	"denied-peer-ip=192.168.0.0-192.168.255.255, denied-peer-ip=100.64.0.0-100.127.255.255, " +
	"denied-peer-ip=169.254.0.0-169.254.255.255, no-multicast-peers"

func TestTURNCoturnDenyPrivatePeers(t *testing.T) {
	opts := TURNOptions{Username: "alice", Password: "wonderland", DenyPrivatePeers: true}
	t.Run("default config", func(t *testing.T) {
		s := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers})
		r := TURN(within(t, 5*time.Second), target("127.0.0.1", s.Port), opts)
		wantStatus(t, r, StatusError)
		if s.Version == "4.6.1" && r.Cause != coturnDefaultGrants {
			t.Errorf("Cause = %q\nwant    %q", r.Cause, coturnDefaultGrants)
		}
		if !strings.HasPrefix(r.Cause, CausePrivatePeersPrefix) {
			t.Errorf("Cause = %q", r.Cause)
		}
		t.Logf("coturn %s: %s", s.Version, r.Cause)
	})
	t.Run("allow-loopback-peers", func(t *testing.T) {
		s := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers, AllowLoopbackPeers: true})
		r := TURN(within(t, 5*time.Second), target("127.0.0.1", s.Port), opts)
		wantStatus(t, r, StatusError)
		if !strings.HasPrefix(r.Cause, CausePrivatePeersPrefix+"127.0.0.1 (loopback), 10.0.0.1 (RFC 1918), ") ||
			!strings.Contains(r.Cause, "with no-loopback-peers (coturn 4.5.2 and later: remove allow-loopback-peers), denied-peer-ip=10.") {
			t.Errorf("Cause = %q", r.Cause)
		}
	})
	t.Run("hardened", func(t *testing.T) {
		// Exactly the settings the cause recommends.
		var extra []string
		for _, p := range privatePeers4 {
			if strings.HasPrefix(p.fix, "denied-peer-ip=") || p.fix == fixMulticast {
				extra = append(extra, p.fix)
			}
		}
		s := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers, Extra: extra})
		for _, transport := range []string{"udp", "tcp", "tls"} {
			t.Run(transport, func(t *testing.T) {
				o := opts
				o.Transport, o.TLS.RootCAs = transport, s.Pool
				r := TURN(within(t, 5*time.Second), target("127.0.0.1", coturnPort(s, transport)), o)
				wantStatus(t, r, StatusOpen)
				if want := fmt.Sprintf("; all %d private peers refused", len(privatePeers4)); !strings.HasSuffix(r.Detail, want) {
					t.Errorf("Detail = %q, want suffix %q", r.Detail, want)
				}
			})
		}
	})
}

func TestTURNCoturnSTUNOnly(t *testing.T) {
	s := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers, StunOnly: true})
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			r := TURN(within(t, 500*time.Millisecond), target("127.0.0.1", s.Port), TURNOptions{Transport: transport, Username: "alice", Password: "wonderland"})
			wantStatus(t, r, StatusError)
			if r.Cause != CauseSTUNOnly {
				t.Errorf("Cause = %q, want %q", r.Cause, CauseSTUNOnly)
			}
		})
	}
}

// coturn's tls-listening-port serves STUN over TLS too.
func TestSTUNOverTLSCoturn(t *testing.T) {
	s := testnet.Coturn(t, testnet.CoturnOptions{Users: coturnUsers})
	r := STUN(within(t, 5*time.Second), target("127.0.0.1", s.TLSPort), STUNOptions{Transport: "tls", TLS: TLSOptions{RootCAs: s.Pool}})
	wantStatus(t, r, StatusOpen)
	if !strings.HasPrefix(r.MappedAddress, "127.0.0.1:") || !strings.Contains(r.Detail, "(software: Coturn-") ||
		!strings.Contains(r.Detail, "; TLS 1.") {
		t.Errorf("result %+v", r)
	}
}
