package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer answers queries on a loopback UDP port: A records from a, and
// for AAAA either aaaa or, when aaaaRcode is set, that failure code. It
// returns a Go resolver that sends every query there.
func dnsServer(t *testing.T, a, aaaa []netip.Addr, aaaaRcode dnsmessage.RCode) *net.Resolver {
	t.Helper()
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(t.Context(), "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionAvailable: true}
			if q.Type == dnsmessage.TypeAAAA {
				rh.RCode = aaaaRcode
			}
			b := dnsmessage.NewBuilder(nil, rh)
			b.EnableCompression()
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			rrh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
			switch {
			case q.Type == dnsmessage.TypeA:
				for _, ip := range a {
					_ = b.AResource(rrh, dnsmessage.AResource{A: ip.As4()})
				}
			case q.Type == dnsmessage.TypeAAAA && aaaaRcode == dnsmessage.RCodeSuccess:
				for _, ip := range aaaa {
					_ = b.AAAAResource(rrh, dnsmessage.AAAAResource{AAAA: ip.As16()})
				}
			}
			msg, err := b.Finish()
			if err == nil {
				_, _ = pc.WriteTo(msg, from)
			}
		}
	}()
	server := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", server) // never the system's resolver
	}}
}

// A name whose A lookup answers and whose AAAA lookup fails must not be
// verified as IPv4-only: Go's resolver alone returns the A records and no
// error, and the IPv6 addresses would go unverified.
func TestResolveFailedHalfIsAFailure(t *testing.T) {
	const host = "sfu.media.test."
	a := []netip.Addr{netip.MustParseAddr("198.51.100.10")}
	aaaa := []netip.Addr{netip.MustParseAddr("2001:db8::10")}

	t.Run("AAAA SERVFAIL", func(t *testing.T) {
		r := dnsServer(t, a, nil, dnsmessage.RCodeServerFailure)
		got, err := Resolve(t.Context(), r, host, "any")
		if err == nil {
			t.Fatalf("got %v and no error: the failed AAAA lookup was dropped", got)
		}
		if !strings.Contains(err.Error(), "AAAA lookup failed") || !strings.Contains(err.Error(), "sfu.media.test") {
			t.Errorf("err = %q, want it to name the failed AAAA lookup and the host", err)
		}
		if _, ok := errors.AsType[*net.DNSError](err); !ok {
			t.Errorf("err = %T, want a *net.DNSError so it classifies as a lookup failure", err)
		}
		// ipv4 asks only for its own record type.
		got, err = Resolve(t.Context(), r, host, "ipv4")
		if err != nil || !slices.Equal(got, a) {
			t.Errorf("ipv4: got %v, %v; want %v", got, err, a)
		}
	})
	t.Run("no AAAA record", func(t *testing.T) {
		r := dnsServer(t, a, nil, dnsmessage.RCodeSuccess)
		got, err := Resolve(t.Context(), r, host, "any")
		if err != nil || !slices.Equal(got, a) {
			t.Errorf("got %v, %v; want %v (no AAAA record is not a failure)", got, err, a)
		}
	})
	t.Run("both answer", func(t *testing.T) {
		r := dnsServer(t, a, aaaa, dnsmessage.RCodeSuccess)
		got, err := Resolve(t.Context(), r, host, "any")
		if want := append(slices.Clone(a), aaaa...); err != nil || !slices.Equal(got, want) {
			t.Errorf("got %v, %v; want %v", got, err, want)
		}
	})
	t.Run("hosts-file name with one family", func(t *testing.T) {
		// "localhost" is in /etc/hosts; asking it for ip6 returns an
		// AddrError when it has only IPv4 there, which is no record, not a
		// failure. The resolver's Dial is never used for it.
		r := dnsServer(t, nil, nil, dnsmessage.RCodeServerFailure)
		got, err := Resolve(t.Context(), r, "localhost", "any")
		if err != nil || len(got) == 0 {
			t.Errorf("got %v, %v; want localhost's addresses", got, err)
		}
	})
}
