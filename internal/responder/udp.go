package responder

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// serveUDP answers every Binding request that arrives on pc until pc is
// closed. One goroutine, one buffer and one answerer per socket.
func (s *server) serveUDP(ctx context.Context, pc net.PacketConn) error {
	o := &s.opts
	buf := make([]byte, maxMessage)
	a := newAnswerer()
	// *net.UDPConn's AddrPort methods avoid a net.Addr allocation per
	// packet, and its Msg methods carry the control messages.
	uc, fast := pc.(*net.UDPConn)
	var d *dstInfo
	if fast {
		d = newDstInfo(uc)
	}
	for {
		var (
			n    int
			from netip.AddrPort
			dst  netip.Addr
			addr net.Addr
			err  error
		)
		if fast {
			n, from, dst, err = d.read(uc, buf)
		} else {
			n, addr, err = pc.ReadFrom(buf)
			from = addrPort(addr)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // Serve closed the socket
			}
			if transient(err) {
				continue
			}
			return fmt.Errorf("udp %s: %w", pc.LocalAddr(), err)
		}
		out := a.answer(buf[:n], from)
		if out == nil {
			continue
		}
		allowed, hook := s.rates.allow(from.Addr(), time.Now()), o.OnRequest
		if !allowed {
			hook = o.OnLimited
		}
		if hook != nil {
			if addr == nil {
				addr = net.UDPAddrFromAddrPort(from)
			}
			hook(addr)
		}
		if !allowed {
			continue
		}
		// A failed send concerns one client, not the socket.
		if fast {
			_, _, _ = uc.WriteMsgUDPAddrPort(out, d.sendFrom(dst), from)
		} else {
			_, _ = pc.WriteTo(out, addr)
		}
	}
}

// dstInfo makes answers leave from the address their request was sent to.
// A socket bound to a wildcard address otherwise answers from the address
// the routing table picks for the peer, which on a host with several
// addresses may be another one, and a prober rightly drops an answer from
// an address it did not ask. The kernel reports each datagram's
// destination in an IP_PKTINFO or IPV6_PKTINFO control message, and takes
// the answer's source from the same kind of message.
type dstInfo struct {
	v6  bool   // IPV6_RECVPKTINFO is on: an AF_INET6 socket, dual-stack or not
	oob []byte // nil where the OS reports no destination
	cm4 ipv4.ControlMessage
	cm6 ipv6.ControlMessage

	src    netip.Addr // what srcOOB is for: one socket sees few addresses
	srcOOB []byte
}

// newDstInfo turns on destination reporting for uc. IPv6 comes first
// because an AF_INET6 socket accepts both options, while only IPv6's
// reports the destination of IPv4 datagrams on a dual-stack socket (as
// ::ffff:a.b.c.d); an AF_INET socket refuses IPv6's. Where neither works
// (Windows), answers leave from the routing table's choice, which is
// right for a socket bound to one address.
func newDstInfo(uc *net.UDPConn) *dstInfo {
	d := new(dstInfo)
	switch {
	case ipv6.NewPacketConn(uc).SetControlMessage(ipv6.FlagDst, true) == nil:
		d.v6, d.oob = true, ipv6.NewControlMessage(ipv6.FlagDst)
	case ipv4.NewPacketConn(uc).SetControlMessage(ipv4.FlagDst, true) == nil:
		d.oob = ipv4.NewControlMessage(ipv4.FlagDst)
	}
	return d
}

// read reads one datagram into b and returns its size, its source and the
// address it was sent to, unmapped; dst is invalid when unknown.
func (d *dstInfo) read(uc *net.UDPConn, b []byte) (n int, from netip.AddrPort, dst netip.Addr, err error) {
	n, oobn, _, from, err := uc.ReadMsgUDPAddrPort(b, d.oob)
	if err != nil || oobn == 0 {
		return n, from, netip.Addr{}, err
	}
	// The parsed messages are reused; clearing Dst first leaves it
	// unspecified if a datagram comes without one.
	var ip []byte
	if d.v6 {
		clear(d.cm6.Dst)
		if d.cm6.Parse(d.oob[:oobn]) == nil {
			ip = d.cm6.Dst
		}
	} else {
		clear(d.cm4.Dst)
		if d.cm4.Parse(d.oob[:oobn]) == nil {
			ip = d.cm4.Dst
		}
	}
	if dst, ok := netip.AddrFromSlice(ip); ok && !dst.IsUnspecified() {
		return n, from, dst.Unmap(), nil
	}
	return n, from, netip.Addr{}, nil
}

// sendFrom returns the control message that sends a datagram from src, or
// nil (the kernel's choice) when src is invalid. An IPv4 source takes
// IP_PKTINFO also on a dual-stack socket: Linux accepts it there for
// IPv4-mapped peers, and x/net/ipv6 will not encode an IPv4-mapped source.
func (d *dstInfo) sendFrom(src netip.Addr) []byte {
	if !src.IsValid() {
		return nil
	}
	if src != d.src {
		d.src = src
		if src.Is4() {
			d.srcOOB = (&ipv4.ControlMessage{Src: src.AsSlice()}).Marshal()
		} else {
			d.srcOOB = (&ipv6.ControlMessage{Src: src.AsSlice()}).Marshal()
		}
	}
	return d.srcOOB
}
