package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"unicode"

	"github.com/pion/stun/v3"
)

// The SRT handshake as draft-sharabayko-srt-01 lays it out: a 16-byte
// control packet header (section 3.2) and the 48-byte handshake Control
// Information Field (section 3.2.1), every field big-endian. The probe only
// needs the induction exchange (section 4.3.1.1), so this is the whole
// encoder: no handshake extensions, no data packets.
const (
	srtHeaderSize    = 16
	srtHandshakeSize = srtHeaderSize + 48
	// srtControlHandshake is the header's first 16 bits: F=1 (control),
	// control type 0x0000 (handshake).
	srtControlHandshake = 0x8000

	srtTypeInduction = 1 // handshake type INDUCTION
	// srtRejectBase: handshake types from 1000 up carry a rejection reason
	// (libsrt's URQ_FAILURE_TYPE plus SRT_REJ_*).
	srtRejectBase = 1000

	srtInductionVersion = 4      // the caller's induction request, HSv4 and HSv5 alike
	srtVersion          = 5      // HSv5, what an SRT 1.3+ listener answers
	srtExtUDTDgram      = 2      // extension field of the request: UDT_DGRAM
	srtMagic            = 0x4A17 // extension field of an HSv5 induction response
	srtMTU              = 1500
	srtFlowWindow       = 8192
	// srtMaxSocketID: libsrt's socket IDs stay below 2^29 (bit 30 marks
	// groups), so ours does too.
	srtMaxSocketID = 1<<29 - 1
)

// srtHandshake is one handshake control packet.
type srtHandshake struct {
	Timestamp  uint32 // header: microseconds since the sender's socket start
	DestSocket uint32 // header: destination SRT socket ID, 0 in an induction request
	Version    uint32
	Encryption uint16
	Extension  uint16
	InitialSeq uint32 // initial packet sequence number, 31 bits
	MTU        uint32
	FlowWindow uint32
	Type       uint32 // handshake type
	SocketID   uint32 // the sender's SRT socket ID
	Cookie     uint32 // SYN cookie
	PeerIP     [16]byte
}

// newSRTInduction is a caller's induction request to ip, with a fresh
// random socket ID and initial sequence number (math/rand: these identify
// our request, they protect nothing).
func newSRTInduction(ip netip.Addr) srtHandshake {
	return srtHandshake{
		Version:    srtInductionVersion,
		Extension:  srtExtUDTDgram,
		InitialSeq: rand.Uint32() & 0x7fffffff,
		MTU:        srtMTU,
		FlowWindow: srtFlowWindow,
		Type:       srtTypeInduction,
		SocketID:   1 + rand.Uint32N(srtMaxSocketID),
		PeerIP:     srtPeerIP(ip),
	}
}

// srtPeerIP lays out ip as libsrt puts it on the wire: four 32-bit words
// (IPv4 in the first, the rest zero), each holding its four address bytes
// in reverse order, because libsrt copies the address into host-order
// words on little-endian machines before writing them big-endian. So
// 127.0.0.1 travels as 01 00 00 7f; srt-live-transmit's response carries our
// address that way too.
func srtPeerIP(ip netip.Addr) [16]byte {
	var in, out [16]byte
	n := 16
	if ip.Unmap().Is4() {
		a4 := ip.Unmap().As4()
		copy(in[:], a4[:])
		n = 4
	} else {
		in = ip.As16()
	}
	for w := 0; w < n; w += 4 {
		for j := range 4 {
			out[w+j] = in[w+3-j]
		}
	}
	return out
}

func (h srtHandshake) marshal() []byte {
	b := make([]byte, srtHandshakeSize)
	be := binary.BigEndian
	be.PutUint16(b[0:], srtControlHandshake) // subtype and type-specific stay 0
	be.PutUint32(b[8:], h.Timestamp)
	be.PutUint32(b[12:], h.DestSocket)
	be.PutUint32(b[16:], h.Version)
	be.PutUint16(b[20:], h.Encryption)
	be.PutUint16(b[22:], h.Extension)
	be.PutUint32(b[24:], h.InitialSeq)
	be.PutUint32(b[28:], h.MTU)
	be.PutUint32(b[32:], h.FlowWindow)
	be.PutUint32(b[36:], h.Type)
	be.PutUint32(b[40:], h.SocketID)
	be.PutUint32(b[44:], h.Cookie)
	copy(b[48:], h.PeerIP[:])
	return b
}

// parseSRTHandshake decodes a handshake control packet. Anything else is
// an error that names what came back; extensions after the CIF are ignored.
func parseSRTHandshake(b []byte) (srtHandshake, error) {
	be := binary.BigEndian
	if len(b) < srtHeaderSize || b[0]&0x80 == 0 {
		return srtHandshake{}, fmt.Errorf("not an SRT answer: %s", describeDatagram(b))
	}
	if ct := be.Uint16(b[0:]) &^ 0x8000; ct != 0 {
		return srtHandshake{}, fmt.Errorf("not an SRT handshake: an SRT control packet of type 0x%04x", ct)
	}
	if len(b) < srtHandshakeSize {
		return srtHandshake{}, fmt.Errorf("short SRT handshake: %d bytes, want %d", len(b), srtHandshakeSize)
	}
	h := srtHandshake{
		Timestamp:  be.Uint32(b[8:]),
		DestSocket: be.Uint32(b[12:]),
		Version:    be.Uint32(b[16:]),
		Encryption: be.Uint16(b[20:]),
		Extension:  be.Uint16(b[22:]),
		InitialSeq: be.Uint32(b[24:]),
		MTU:        be.Uint32(b[28:]),
		FlowWindow: be.Uint32(b[32:]),
		Type:       be.Uint32(b[36:]),
		SocketID:   be.Uint32(b[40:]),
		Cookie:     be.Uint32(b[44:]),
	}
	copy(h.PeerIP[:], b[48:srtHandshakeSize])
	return h, nil
}

// checkSRTInduction judges a listener's answer to req: an INDUCTION
// handshake for our socket ID, version 5 with the SRT magic, and a SYN
// cookie (section 4.3.1.2). The error's message is the cause to show.
func checkSRTInduction(req, res srtHandshake) error {
	switch {
	case res.Type >= srtRejectBase && res.Type < 0xFFFFFFF0:
		return fmt.Errorf("SRT listener rejected the induction (reason %d)", res.Type-srtRejectBase)
	case res.Type != srtTypeInduction:
		return fmt.Errorf("SRT handshake of type %#x, want INDUCTION (1)", res.Type)
	case res.DestSocket != req.SocketID:
		return fmt.Errorf("SRT induction response for socket ID %#x, not ours (%#x)", res.DestSocket, req.SocketID)
	case res.Version == srtInductionVersion:
		return errors.New("SRT induction response version 4, want 5: an HSv4 listener (SRT before 1.3, or UDT)")
	case res.Version != srtVersion:
		return fmt.Errorf("SRT induction response version %d, want 5", res.Version)
	case res.Extension != srtMagic:
		return fmt.Errorf("SRT induction response without the SRT magic 0x4A17 (extension field %#04x)", res.Extension)
	case res.Cookie == 0:
		return errors.New("SRT induction response without a SYN cookie")
	}
	return nil
}

// srtDetail describes a valid induction response.
func srtDetail(res srtHandshake) string {
	d := fmt.Sprintf("SRT induction response, version %d", res.Version)
	// Encryption field values (section 3.2.1, table 2): a listener with a
	// passphrase may advertise its key length.
	switch res.Encryption {
	case 0:
	case 2:
		d += ", AES-128 advertised"
	case 3:
		d += ", AES-192 advertised"
	case 4:
		d += ", AES-256 advertised"
	default:
		d += fmt.Sprintf(", encryption field %d", res.Encryption)
	}
	return d
}

// describeDatagram names bytes that are not an SRT handshake.
func describeDatagram(b []byte) string {
	switch {
	case len(b) == 0:
		return "an empty datagram"
	case stun.IsMessage(b):
		return "a STUN message"
	case isText(b):
		line := b
		for i, c := range b {
			if c == '\r' || c == '\n' {
				line = b[:i]
				break
			}
		}
		return fmt.Sprintf("%q", printable(line))
	}
	return fmt.Sprintf("%d bytes starting % x", len(b), b[:min(len(b), 8)])
}

// isText reports whether b starts like a text protocol's message (SIP, HTTP,
// a banner): printable ASCII up to its first line end.
func isText(b []byte) bool {
	for i, c := range b[:min(len(b), 16)] {
		if (c == '\r' || c == '\n') && i > 0 {
			return true
		}
		if c > unicode.MaxASCII || !unicode.IsPrint(rune(c)) {
			return false
		}
	}
	return true
}
