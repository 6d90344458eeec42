package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
)

// Resolver looks up a host's addresses. *net.Resolver satisfies it; tests
// pass a fake.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// AddressError is a resolved address that must never be probed: the
// unspecified address (0.0.0.0 or ::), which a dial sends to the machine
// running the probe itself, so any check on it would pass for the wrong
// host. A DNS sinkhole answers with it. Retrying cannot help.
type AddressError struct {
	Host string
	Addr netip.Addr
}

func (e *AddressError) Error() string {
	what := e.Host + " resolved to " + e.Addr.String() + ","
	if strings.Trim(e.Host, "[]") == e.Addr.String() {
		what = e.Addr.String() + " is"
	}
	return what + " the unspecified address: a probe of it would reach the machine running the probe, not the server"
}

// Resolve returns the addresses of host to verify for family "any" (or ""),
// "ipv4" or "ipv6": IPv4 first, then IPv6, each in lookup order, without
// duplicates and with 4-in-6 addresses unmapped. An IP literal is returned
// as is. A nil r uses net.DefaultResolver.
//
// "any" looks up A and AAAA records separately: a lookup that fails (as
// opposed to finding no record) fails the whole resolution, naming the
// record type, where Go's resolver would quietly drop that half and leave
// those addresses unverified. Lookup failures keep their *net.DNSError, so
// Classify reports them as "lookup failed". An unspecified address is an
// *AddressError.
func Resolve(ctx context.Context, r Resolver, host, family string) ([]netip.Addr, error) {
	var networks []string
	switch family {
	case "", "any":
		networks = []string{"ip4", "ip6"}
	case "ipv4":
		networks = []string{"ip4"}
	case "ipv6":
		networks = []string{"ip6"}
	default:
		return nil, fmt.Errorf("resolve %s: unknown address family %q, want any, ipv4 or ipv6", host, family)
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ip = ip.Unmap()
		if len(networks) == 1 && !wantFamily(ip, networks[0]) {
			return nil, fmt.Errorf("resolve %s: %s is not an %s address", host, ip, family)
		}
		if ip.IsUnspecified() {
			return nil, &AddressError{Host: host, Addr: ip}
		}
		return []netip.Addr{ip}, nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	answers := make([][]netip.Addr, len(networks))
	errs := make([]error, len(networks))
	var wg sync.WaitGroup
	for i, network := range networks {
		wg.Go(func() { answers[i], errs[i] = r.LookupNetIP(ctx, network, host) })
	}
	wg.Wait()
	var v4, v6 []netip.Addr
	seen := make(map[netip.Addr]bool)
	for i, network := range networks {
		if err := errs[i]; err != nil && !noRecord(err) {
			return nil, lookupFailed(host, network, err)
		}
		for _, ip := range answers[i] {
			ip = ip.Unmap()
			if seen[ip] || !ip.IsValid() || !wantFamily(ip, network) {
				continue
			}
			if ip.IsUnspecified() {
				return nil, &AddressError{Host: host, Addr: ip}
			}
			seen[ip] = true
			if ip.Is4() {
				v4 = append(v4, ip)
			} else {
				v6 = append(v6, ip)
			}
		}
	}
	if len(v4)+len(v6) == 0 {
		what := "address"
		if len(networks) == 1 {
			what = family + " address"
		}
		return nil, &net.DNSError{Err: "no " + what, Name: host, IsNotFound: true}
	}
	return append(v4, v6...), nil
}

// noRecord reports whether a lookup error means only that the name has no
// address of that family: no such record, or (from the hosts file) only
// addresses of the other family.
func noRecord(err error) bool {
	if de, ok := errors.AsType[*net.DNSError](err); ok {
		return de.IsNotFound
	}
	if ae, ok := errors.AsType[*net.AddrError](err); ok {
		return ae.Err == "no suitable address found"
	}
	return false
}

// lookupFailed names the record type whose lookup failed.
func lookupFailed(host, network string, err error) error {
	rr := "A"
	if network == "ip6" {
		rr = "AAAA"
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok {
		named := *de
		named.Name = host
		named.Err = rr + " lookup failed: " + de.Err
		return &named
	}
	return fmt.Errorf("resolve %s: %s lookup failed: %w", host, rr, err)
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
