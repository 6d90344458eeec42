package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// CauseRelayPrefix starts the cause of a failed relay check.
const CauseRelayPrefix = "turn.relay_check: "

// cgnat is RFC 6598's shared address space, which netip does not call
// private.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// relayCheck proves that media flows through the allocation: a second UDP
// socket of the prober (the peer) sends a datagram to the relayed address,
// the server hands it to the client, and the client sends one back out
// through the relay to the peer. The peer sends first, so a NAT in front
// of the prober lets the answer in. done is true when the probe is over,
// with *a.r holding the verdict.
func (a *turnAttempt) relayCheck(relay net.PacketConn) (Result, bool) {
	ra, ok := relay.LocalAddr().(*net.UDPAddr)
	if !ok {
		return a.wrong(CauseRelayPrefix+"no relayed UDP address", fmt.Errorf("turn: relayed address %v", relay.LocalAddr())), true
	}
	relayed := ra.AddrPort()
	relayed = netip.AddrPortFrom(relayed.Addr().Unmap(), relayed.Port())
	if !relayReachable(relayed.Addr(), a.target.IP) {
		cause := fmt.Sprintf("%sthe relayed address %s is not public, so clients cannot send media to it "+
			"(no datagram was sent there); behind NAT, set coturn's external-ip", CauseRelayPrefix, relayed)
		return a.wrong(cause, errors.New("turn: "+cause)), true
	}
	d := net.Dialer{Control: a.target.Control}
	peer, err := d.DialContext(a.ctx, "udp", relayed.String())
	if err != nil {
		return a.relayFailed(CauseRelayPrefix+"cannot open the peer socket", err), true
	}
	defer peer.Close()
	stop := context.AfterFunc(a.ctx, func() { _ = peer.Close() })
	defer stop()

	// The server sees the peer at its own address or, behind NAT, at the
	// public IP the server reported for the client's socket.
	ips := []netip.Addr{addrOf(peer.LocalAddr())}
	if m, err := netip.ParseAddrPort(a.seen().mapped); err == nil {
		if ip := m.Addr().Unmap(); ip != ips[0] && ip.Is4() == ips[0].Is4() {
			ips = append(ips, ip)
		}
	}
	refused, err := a.permit(ips...)
	if err != nil {
		return a.fail(err), true
	}
	if refused != nil {
		cause := fmt.Sprintf("%sthe server refused a permission toward the prober's own address %s: %s", CauseRelayPrefix, ips[0], codeText(*refused))
		return a.wrong(cause, errors.New("turn: "+cause)), true
	}

	in, out := make([]byte, 16), make([]byte, 16)
	_, _ = rand.Read(in)
	_, _ = rand.Read(out)
	from, err := a.relayIn(peer, relay, in)
	if err != nil {
		return a.relayFailed(fmt.Sprintf("%sno datagram sent to the relayed address %s came through the server "+
			"(are the relay ports, coturn's min-port to max-port, open?)", CauseRelayPrefix, relayed), err), true
	}
	if err := a.relayOut(peer, relay, out, from); err != nil {
		return a.relayFailed(CauseRelayPrefix+"datagrams came in through the relay, but none sent out through it reached the peer", err), true
	}
	return Result{}, false
}

// relayIn sends token from the peer to the relayed address, again every
// RTO, until the client reads it from the relay; it returns the peer's
// address as the server saw it.
func (a *turnAttempt) relayIn(peer net.Conn, relay net.PacketConn, token []byte) (net.Addr, error) {
	var from net.Addr
	err := a.retransmit(func() error {
		_, err := peer.Write(token)
		return err
	}, func(deadline time.Time, buf []byte) (bool, error) {
		_ = relay.SetReadDeadline(deadline)
		n, addr, err := relay.ReadFrom(buf)
		from = addr
		return err == nil && bytes.Equal(buf[:n], token), err
	})
	return from, err
}

// relayOut sends token out through the relay to the peer at to, again
// every RTO, until the peer reads it.
func (a *turnAttempt) relayOut(peer net.Conn, relay net.PacketConn, token []byte, to net.Addr) error {
	return a.retransmit(func() error {
		_, err := relay.WriteTo(token, to)
		return err
	}, func(deadline time.Time, buf []byte) (bool, error) {
		_ = peer.SetReadDeadline(deadline)
		n, err := peer.Read(buf)
		return err == nil && bytes.Equal(buf[:n], token), err
	})
}

// retransmit calls send, then read until it reports the datagram it
// waits for, sending again every RTO (doubling up to maxRTO) until the
// attempt's deadline. read gets the time its read must end by.
func (a *turnAttempt) retransmit(send func() error, read func(deadline time.Time, buf []byte) (bool, error)) error {
	rto := a.o.RTO
	if rto <= 0 {
		rto = defaultRTO
	}
	deadline, _ := a.ctx.Deadline()
	buf := make([]byte, 1500)
	var resend time.Time
	for {
		if now := time.Now(); !now.Before(resend) {
			if err := send(); err != nil {
				return err
			}
			resend = now.Add(rto)
			rto = min(2*rto, maxRTO)
		}
		got, err := read(earliest(resend, deadline), buf)
		switch {
		case got:
			return nil
		case err == nil:
			// Something else: keep waiting.
		case isTimeout(err) && time.Now().Before(deadline):
			// Time to send again.
		default:
			return closedBy(a.ctx, err)
		}
	}
}

// relayFailed is the verdict on a relay check that got no datagram
// through: an error, since the server answered TURN, unless the user
// cancelled.
func (a *turnAttempt) relayFailed(cause string, err error) Result {
	if errors.Is(a.parent.Err(), context.Canceled) {
		return a.fail(err)
	}
	return a.wrong(cause, err)
}

// relayReachable reports whether the probe may send to a relayed address:
// the server's own address, a public one, or loopback when the server is
// on loopback too (a test, or a prober on the TURN host; the relay family
// may differ from the one the client used). A private relayed address on
// a public server is what coturn behind NAT hands out without external-ip,
// and sending there would reach the prober's own network instead.
func relayReachable(relayed, server netip.Addr) bool {
	server = server.Unmap()
	switch {
	case relayed == server, relayed.IsLoopback() && server.IsLoopback():
		return true
	}
	return relayed.IsGlobalUnicast() && !relayed.IsPrivate() && !cgnat.Contains(relayed)
}

func addrOf(a net.Addr) netip.Addr {
	if ua, ok := a.(*net.UDPAddr); ok {
		return ua.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
