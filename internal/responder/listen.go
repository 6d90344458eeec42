package responder

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/bits"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// ParsePorts expands a spec such as "3478,10000-10100" into sorted, unique
// ports. Whitespace around tokens is ignored and an empty spec yields no
// ports. An error names the bad token; it is also an error when the spec
// holds more than limit ports (limit <= 0: no limit), which is checked while
// expanding so a typo like "1-65535" fails fast.
func ParsePorts(spec string, limit int) ([]uint16, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	var set [65536 / 64]uint64
	count := 0
	for tok := range strings.SplitSeq(spec, ",") {
		tok = strings.TrimSpace(tok)
		lo, hi, err := parseRange(tok)
		if err != nil {
			return nil, fmt.Errorf("port spec %q: %w", spec, err)
		}
		for p := int(lo); p <= int(hi); p++ {
			w, bit := p/64, uint64(1)<<(p%64)
			if set[w]&bit != 0 {
				continue
			}
			set[w] |= bit
			if count++; limit > 0 && count > limit {
				return nil, fmt.Errorf("port spec %q: more than %d ports", spec, limit)
			}
		}
	}
	ports := make([]uint16, 0, count)
	for w, word := range set {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			ports = append(ports, uint16(w*64+b))
			word &= word - 1
		}
	}
	return ports, nil
}

// parseRange parses "3478" or "10000-10100".
func parseRange(tok string) (lo, hi uint16, err error) {
	if tok == "" {
		return 0, 0, errors.New("empty port")
	}
	first, last, isRange := strings.Cut(tok, "-")
	if lo, err = parsePort(tok, first); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parsePort(tok, last); err != nil {
		return 0, 0, err
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("port range %q is reversed", tok)
	}
	return lo, hi, nil
}

func parsePort(tok, s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid port %q: want 1-65535 or a range like 10000-10100", tok)
	}
	return uint16(n), nil
}

// Listen binds one UDP socket per udpPorts entry and one TCP listener per
// tcpPorts entry on host ("" means every interface), wrapping the listeners
// in TLS when tlsConfig is set. On failure it closes everything it opened
// and returns an error naming the port and protocol that failed, such as
// "udp port 3478 on 0.0.0.0: address already in use"; errors.Is with the
// errno (syscall.EADDRINUSE) still works.
func Listen(ctx context.Context, udpPorts, tcpPorts []uint16, host string, tlsConfig *tls.Config) ([]net.PacketConn, []net.Listener, error) {
	var (
		lc  net.ListenConfig
		pcs []net.PacketConn
		lns []net.Listener
	)
	fail := func(proto string, port uint16, err error) ([]net.PacketConn, []net.Listener, error) {
		for _, pc := range pcs {
			_ = pc.Close()
		}
		for _, ln := range lns {
			_ = ln.Close()
		}
		where := host
		if where == "" {
			where = "all interfaces"
		}
		// The errno alone reads better than "listen udp 0.0.0.0:3478: bind:"
		// after a prefix that already says all of that.
		if errno, ok := errors.AsType[syscall.Errno](err); ok {
			err = errno
		}
		return nil, nil, fmt.Errorf("%s port %d on %s: %w", proto, port, where, err)
	}
	for _, p := range udpPorts {
		pc, err := lc.ListenPacket(ctx, "udp", net.JoinHostPort(host, strconv.Itoa(int(p))))
		if err != nil {
			return fail("udp", p, err)
		}
		pcs = append(pcs, pc)
	}
	for _, p := range tcpPorts {
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(int(p))))
		if err != nil {
			return fail("tcp", p, err)
		}
		if tlsConfig != nil {
			ln = tls.NewListener(ln, tlsConfig)
		}
		lns = append(lns, ln)
	}
	return pcs, lns, nil
}
