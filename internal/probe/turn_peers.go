package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/pion/stun/v3"
)

// privatePeer is a peer that a TURN server must never relay to, with the
// coturn setting that refuses it.
type privatePeer struct {
	addr netip.Addr
	kind string // what the address is, for the cause
	fix  string // the turnserver.conf line that denies it
}

// Fixes for privatePeers, as lines of turnserver.conf.
const (
	fixLoopback  = "no-loopback-peers (coturn 4.5.2 and later: remove allow-loopback-peers)"
	fixMulticast = "no-multicast-peers"
	fixLinkLocal = "denied-peer-ip=169.254.0.0-169.254.255.255"
)

// privatePeers4 are asked for on an IPv4 allocation. The last addresses of
// the public internet a relay should reach: loopback reaches the TURN host
// itself, 0.0.0.0 does too on most stacks, the RFC 1918 and CGNAT ranges
// reach the server's private network, link-local holds the cloud metadata
// service with its credentials.
var privatePeers4 = []privatePeer{
	{netip.MustParseAddr("127.0.0.1"), "loopback", fixLoopback},
	{netip.MustParseAddr("0.0.0.0"), "unspecified", "denied-peer-ip=0.0.0.0-0.255.255.255"},
	{netip.MustParseAddr("10.0.0.1"), "RFC 1918", "denied-peer-ip=10.0.0.0-10.255.255.255"},
	{netip.MustParseAddr("172.16.0.1"), "RFC 1918", "denied-peer-ip=172.16.0.0-172.31.255.255"},
	{netip.MustParseAddr("192.168.1.1"), "RFC 1918", "denied-peer-ip=192.168.0.0-192.168.255.255"},
	{netip.MustParseAddr("100.64.0.1"), "CGNAT", "denied-peer-ip=100.64.0.0-100.127.255.255"},
	{netip.MustParseAddr("169.254.1.1"), "link-local", fixLinkLocal},
	{netip.MustParseAddr("169.254.169.254"), "cloud metadata", fixLinkLocal},
	{netip.MustParseAddr("224.0.0.1"), "multicast", fixMulticast},
}

// privatePeers6 are asked for on an IPv6 allocation: the IPv6 ranges, and
// every IPv4 peer again in its IPv4-mapped form (::ffff:10.0.0.1), which a
// dual-stack relay socket sends to as IPv4 while a deny list written for
// IPv4 does not match it.
var privatePeers6 = append([]privatePeer{
	{netip.MustParseAddr("::1"), "loopback", fixLoopback},
	{netip.MustParseAddr("::"), "unspecified", "denied-peer-ip=::"},
	{netip.MustParseAddr("fe80::1"), "link-local", "denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	{netip.MustParseAddr("fd00:ec2::254"), "cloud metadata", "denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	{netip.MustParseAddr("ff02::1"), "multicast", fixMulticast},
}, mapped4(privatePeers4)...)

func mapped4(peers []privatePeer) []privatePeer {
	out := make([]privatePeer, 0, len(peers))
	for _, p := range peers {
		out = append(out, privatePeer{netip.AddrFrom16(p.addr.As16()), "IPv4-mapped " + p.kind,
			"denied-peer-ip=::ffff:0.0.0.0-::ffff:255.255.255.255"})
	}
	return out
}

// CausePrivatePeersPrefix starts the cause when the server granted a
// permission toward a private peer; the peers and the coturn settings that
// refuse them follow.
const CausePrivatePeersPrefix = "the server relays to private peers: "

// peerPort is the port in XOR-PEER-ADDRESS. Permissions are per IP (RFC
// 8656 section 9), so the server ignores it.
const peerPort = 9

// denyPrivatePeers asks for a permission toward every private peer of the
// relay's address family, one request each, and judges the answers: done
// is true when the probe is over, with *a.r holding the verdict. No
// datagram is sent to any of them.
func (a *turnAttempt) denyPrivatePeers(relay net.PacketConn) (Result, bool) {
	peers := privatePeers4
	if ra, ok := relay.LocalAddr().(*net.UDPAddr); ok && ra.IP.To4() == nil {
		peers = privatePeers6
	}
	var granted []privatePeer
	for _, p := range peers {
		refused, err := a.permit(p.addr)
		switch {
		case err != nil:
			return a.fail(err), true
		case refused == nil:
			granted = append(granted, p)
		case !deniesPeer(refused):
			err := fmt.Errorf("turn: CreatePermission toward %s: %s", p.addr, codeText(*refused))
			return a.wrong(fmt.Sprintf("cannot check private peers: CreatePermission toward %s answered %s", p.addr, codeText(*refused)), err), true
		}
	}
	if len(granted) > 0 {
		cause := privatePeersCause(granted)
		a.wrong(cause, errors.New("turn: "+cause))
		a.r.Code = CodeOpenRelay
		return *a.r, true
	}
	a.r.Detail += fmt.Sprintf("; all %d private peers refused", len(peers))
	return Result{}, false
}

// privatePeersCause names every granted peer and the settings that refuse
// them, each setting once.
func privatePeersCause(granted []privatePeer) string {
	var names, fixes []string
	seen := map[string]bool{}
	for _, p := range granted {
		names = append(names, fmt.Sprintf("%s (%s)", p.addr, p.kind))
		if !seen[p.fix] {
			seen[p.fix] = true
			fixes = append(fixes, p.fix)
		}
	}
	return CausePrivatePeersPrefix + strings.Join(names, ", ") +
		" granted; refuse them in turnserver.conf with " + strings.Join(fixes, ", ")
}

// permit sends one CreatePermission toward peers and returns the server's
// verdict: nil when it granted the permission, else its ERROR-CODE (Code 0
// when the error response had none, as pion/turn's server sends). A 438
// Stale Nonce is retried with the server's new nonce. The request is built
// here rather than through pion's Client.CreatePermission, which hides the
// error code of a 438 and cannot send an IPv4-mapped IPv6 peer.
func (a *turnAttempt) permit(peers ...netip.Addr) (refused *stun.ErrorCodeAttribute, err error) {
	var code stun.ErrorCodeAttribute
	for range maxStaleNonce {
		// The read loop saw the 401 or 438 before pion handed us the
		// answer, so realm and nonce are the server's latest.
		st := a.seen()
		setters := []stun.Setter{stun.TransactionID, stun.NewType(stun.MethodCreatePermission, stun.ClassRequest)}
		for _, p := range peers {
			setters = append(setters, peerAddress(p))
		}
		setters = append(setters, stun.NewUsername(a.username), stun.NewRealm(st.realm), stun.NewNonce(st.nonce),
			stun.NewLongTermIntegrity(a.username, st.realm, a.password), stun.Fingerprint)
		req, err := stun.Build(setters...)
		if err != nil {
			return nil, err
		}
		res, err := a.client.PerformTransaction(req, a.server, false)
		if err != nil {
			return nil, a.unanswered(err)
		}
		if res.Msg.Type.Class == stun.ClassSuccessResponse {
			return nil, nil
		}
		code = stun.ErrorCodeAttribute{}
		_ = code.GetFrom(res.Msg)
		if code.Code != stun.CodeStaleNonce {
			break
		}
	}
	return &code, nil
}

// deniesPeer reports whether a permission error is the server refusing
// the peer: 403 Forbidden (coturn), 443 Peer Address Family Mismatch, or
// an error response without a code (pion/turn's server). Anything else,
// such as 401, says nothing about the peer.
func deniesPeer(c *stun.ErrorCodeAttribute) bool {
	return c.Code == stun.CodeForbidden || c.Code == stun.CodePeerAddrFamilyMismatch || c.Code == 0
}

// peerAddress is an XOR-PEER-ADDRESS setter. pion/stun writes an
// IPv4-mapped IPv6 address as the IPv4 address, so that form, and only it,
// is encoded here (RFC 8489 section 14.2: family, port and address XORed
// with the magic cookie and transaction ID).
type peerAddress netip.Addr

const magicCookie = 0x2112A442

func (p peerAddress) AddTo(m *stun.Message) error {
	ip := netip.Addr(p)
	if !ip.Is4In6() {
		return stun.XORMappedAddress{IP: ip.AsSlice(), Port: peerPort}.AddToAs(m, stun.AttrXORPeerAddress)
	}
	v := make([]byte, 4+16)
	v[1] = 0x02 // IPv6
	binary.BigEndian.PutUint16(v[2:4], peerPort^(magicCookie>>16))
	var key [16]byte
	binary.BigEndian.PutUint32(key[:4], magicCookie)
	copy(key[4:], m.TransactionID[:])
	a16 := ip.As16()
	for i := range a16 {
		v[4+i] = a16[i] ^ key[i]
	}
	m.Add(stun.AttrXORPeerAddress, v)
	return nil
}
