package agent

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// Allowlist is the set of targets an agent may probe: CIDRs (a bare IP is
// its /32 or /128) and host names. It is deny by default.
//
// The rule for special addresses: loopback (127.0.0.0/8, ::1), link-local
// (169.254.0.0/16, fe80::/10), unspecified (0.0.0.0, ::) and cloud metadata
// (169.254.169.254, fd00:ec2::254) addresses pass only an entry that names
// them explicitly:
//   - any special address: a CIDR entry of that single address (/32, /128);
//   - loopback: also a CIDR entry that lies wholly inside the loopback range,
//     such as 127.0.0.0/8;
//   - link-local (but not metadata): also a CIDR wholly inside the
//     link-local range, such as 169.254.0.0/16.
//
// A wider CIDR that merely contains them (0.0.0.0/0, ::/0, 160.0.0.0/4)
// does not count, and neither does a host name entry. IPv4-mapped IPv6
// addresses (::ffff:127.0.0.1) are unmapped before any check.
type Allowlist struct {
	prefixes []netip.Prefix
	names    map[string]bool
	entries  []string // as given, for messages
}

var (
	loopback4  = netip.MustParsePrefix("127.0.0.0/8")
	loopback6  = netip.MustParsePrefix("::1/128")
	linkLocal4 = netip.MustParsePrefix("169.254.0.0/16")
	linkLocal6 = netip.MustParsePrefix("fe80::/10")
	metadata   = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}
)

// ParseAllowlist parses entries such as "203.0.113.0/24", "198.51.100.7",
// "2001:db8::/32" or "turn.example.com". At least one entry is required.
func ParseAllowlist(entries []string) (*Allowlist, error) {
	a := &Allowlist{names: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		switch {
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("allow entry %q: %w", e, err)
			}
			if p.Addr().Is4In6() {
				return nil, fmt.Errorf("allow entry %q: write IPv4 ranges in IPv4 form", e)
			}
			a.prefixes = append(a.prefixes, p.Masked())
		default:
			if ip, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				ip = ip.Unmap()
				a.prefixes = append(a.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
				break
			}
			name := normName(e)
			if !validName(name) {
				return nil, fmt.Errorf("allow entry %q: want a CIDR, an IP address or a host name", e)
			}
			a.names[name] = true
		}
		a.entries = append(a.entries, e)
	}
	if len(a.entries) == 0 {
		return nil, errors.New("the allowlist is empty: an agent probes nothing it is not allowed to")
	}
	return a, nil
}

func normName(s string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".") }

func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '.' && c != '_' {
			return false
		}
	}
	return true
}

// String lists the entries.
func (a *Allowlist) String() string { return strings.Join(a.entries, ",") }

// special names the class of a special address, "" for an ordinary one.
func special(ip netip.Addr) string {
	for _, m := range metadata {
		if ip == m {
			return "cloud metadata"
		}
	}
	switch {
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	}
	return ""
}

// names reports whether prefix p names the special address ip of class
// cls explicitly (see Allowlist).
func names(p netip.Prefix, ip netip.Addr, cls string) bool {
	if !p.Contains(ip) {
		return false
	}
	if p.Bits() == ip.BitLen() {
		return true
	}
	switch cls {
	case "loopback":
		return within(p, loopback4) || within(p, loopback6)
	case "link-local":
		return within(p, linkLocal4) || within(p, linkLocal6)
	}
	return false
}

// within reports whether p lies wholly inside r.
func within(p, r netip.Prefix) bool {
	return p.Addr().Is4() == r.Addr().Is4() && p.Bits() >= r.Bits() && r.Contains(p.Addr())
}

// Check says whether ip, one of host's addresses, may be probed. The error
// names the address and the rule, never anything secret.
func (a *Allowlist) Check(host string, ip netip.Addr) error {
	ip = ip.Unmap()
	cls := special(ip)
	if cls == "" {
		if a.names[normName(host)] {
			return nil
		}
		for _, p := range a.prefixes {
			if p.Contains(ip) {
				return nil
			}
		}
		return fmt.Errorf("address %s of %s is outside the allowlist: no entry (%s) contains it and %q is not an allowed name",
			ip, host, a, normName(host))
	}
	var wide netip.Prefix
	for _, p := range a.prefixes {
		if names(p, ip, cls) {
			return nil
		}
		if p.Contains(ip) && !wide.IsValid() {
			wide = p
		}
	}
	if wide.IsValid() {
		return fmt.Errorf("address %s of %s is a %s address: the allow entry %s contains it but does not name it; "+
			"add %s/%d to allow it", ip, host, cls, wide, ip, ip.BitLen())
	}
	return fmt.Errorf("address %s of %s is a %s address, refused unless an allow entry names it (such as %s/%d)",
		ip, host, cls, ip, ip.BitLen())
}

// guard is a net.Dialer Control that lets a socket connect only to one of
// the verified addresses or an address an IP entry allows: DNS answers
// that change after the check (rebinding) never reach a socket.
func (a *Allowlist) guard(verified []netip.Addr) func(network, address string, _ syscall.RawConn) error {
	ok := make(map[netip.Addr]bool, len(verified))
	for _, v := range verified {
		ok[v.Unmap()] = true
	}
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("agent dial guard: %s %q is not an ip:port", network, address)
		}
		ip := ap.Addr().Unmap()
		if ok[ip] {
			return nil
		}
		if a.Check("", ip) == nil { // IP entries only: there is no host name here
			return nil
		}
		return fmt.Errorf("agent dial guard: %s to %s refused: outside the allowlist", network, ip)
	}
}
