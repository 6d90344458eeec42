package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Resolver looks up a host's addresses. *net.Resolver satisfies it; tests
// pass a fake.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Resolve returns the addresses of host to verify for family "any" (or ""),
// "ipv4" or "ipv6": IPv4 first, then IPv6, each in lookup order, without
// duplicates and with 4-in-6 addresses unmapped. An IP literal is returned
// as is. A nil r uses net.DefaultResolver. Lookup failures keep their
// *net.DNSError, so Classify reports them as "lookup failed".
func Resolve(ctx context.Context, r Resolver, host, family string) ([]netip.Addr, error) {
	var network string
	switch family {
	case "", "any":
		network = "ip"
	case "ipv4":
		network = "ip4"
	case "ipv6":
		network = "ip6"
	default:
		return nil, fmt.Errorf("resolve %s: unknown address family %q, want any, ipv4 or ipv6", host, family)
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ip = ip.Unmap()
		if !wantFamily(ip, network) {
			return nil, fmt.Errorf("resolve %s: %s is not an %s address", host, ip, family)
		}
		return []netip.Addr{ip}, nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	found, err := r.LookupNetIP(ctx, network, host)
	if err != nil {
		if _, ok := errors.AsType[*net.DNSError](err); ok {
			return nil, err // already names the host
		}
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	v4 := make([]netip.Addr, 0, len(found))
	var v6 []netip.Addr
	seen := make(map[netip.Addr]bool, len(found))
	for _, ip := range found {
		ip = ip.Unmap()
		if seen[ip] || !ip.IsValid() || !wantFamily(ip, network) {
			continue
		}
		seen[ip] = true
		if ip.Is4() {
			v4 = append(v4, ip)
		} else {
			v6 = append(v6, ip)
		}
	}
	if len(v4)+len(v6) == 0 {
		what := "address"
		if network != "ip" {
			what = family + " address"
		}
		return nil, &net.DNSError{Err: "no " + what, Name: host, IsNotFound: true}
	}
	return append(v4, v6...), nil
}

func wantFamily(ip netip.Addr, network string) bool {
	switch network {
	case "ip4":
		return ip.Is4()
	case "ip6":
		return ip.Is6()
	default:
		return true
	}
}
