package responder

import (
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/pion/stun/v3"
)

const (
	// magicCookie is the fixed STUN value (RFC 5389 section 6); pion keeps
	// its copy unexported.
	magicCookie = 0x2112A442
	// maxMessage bounds a request. A Binding request, even with ICE
	// attributes, is a few hundred bytes; anything larger is not for us.
	maxMessage = 2048
)

// answerer builds Binding successes without allocating: the request and the
// response are reused for every packet of one socket or connection.
type answerer struct {
	req, res stun.Message
	software []byte
}

func newAnswerer() *answerer {
	return &answerer{
		res:      stun.Message{Raw: make([]byte, 0, 128)},
		software: []byte(Software),
	}
}

// answer returns the response to the Binding request in b, or nil when b is
// not one. The result is valid until the next call.
func (a *answerer) answer(b []byte, from netip.AddrPort) []byte {
	if !stun.IsMessage(b) {
		return nil
	}
	a.req.Raw = b
	if a.req.Decode() != nil || a.req.Type != stun.BindingRequest {
		return nil
	}
	a.res.Reset()
	a.res.Type = stun.BindingSuccess
	a.res.TransactionID = a.req.TransactionID
	a.res.WriteHeader()
	if from.IsValid() {
		addXORMappedAddress(&a.res, from)
	}
	a.res.Add(stun.AttrSoftware, a.software)
	return a.res.Raw
}

// addXORMappedAddress encodes the attribute into a stack buffer; pion's
// XORMappedAddress.AddTo allocates twice per call.
func addXORMappedAddress(m *stun.Message, from netip.AddrPort) {
	const familyIPv4, familyIPv6 = 0x01, 0x02
	var v [20]byte
	var key [16]byte // cookie, then transaction ID (RFC 5389 section 15.2)
	binary.BigEndian.PutUint32(key[:4], magicCookie)
	copy(key[4:], m.TransactionID[:])
	binary.BigEndian.PutUint16(v[2:4], from.Port()^(magicCookie>>16))
	// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the peer
	// knows itself as a.b.c.d.
	ip := from.Addr().Unmap()
	n := 4
	if ip.Is4() {
		v[1] = familyIPv4
		a := ip.As4()
		for i := range a {
			v[4+i] = a[i] ^ key[i]
		}
		n += 4
	} else {
		v[1] = familyIPv6
		a := ip.As16()
		for i := range a {
			v[4+i] = a[i] ^ key[i]
		}
		n += 16
	}
	m.Add(stun.AttrXORMappedAddress, v[:n])
}

// addrPort extracts ip:port from any net.Addr; invalid when it has none, in
// which case the answer goes without a mapped address.
func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	case *net.TCPAddr:
		return a.AddrPort()
	case nil:
		return netip.AddrPort{}
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}
