package probe

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

// The induction request, field by field as draft-sharabayko-srt-01
// sections 3.2 and 3.2.1 lay it out.
var goldenSRTInduction = []byte{
	// Packet header.
	0x80, 0x00, // F=1 (control), control type 0x0000: handshake
	0x00, 0x00, // subtype
	0x00, 0x00, 0x00, 0x00, // type-specific information
	0x00, 0x00, 0x00, 0x00, // timestamp
	0x00, 0x00, 0x00, 0x00, // destination SRT socket ID: 0 in an induction request
	// Handshake CIF.
	0x00, 0x00, 0x00, 0x04, // version 4
	0x00, 0x00, // encryption field: none
	0x00, 0x02, // extension field: UDT_DGRAM
	0x12, 0x34, 0x56, 0x78, // initial packet sequence number
	0x00, 0x00, 0x05, 0xdc, // maximum transmission unit size: 1500
	0x00, 0x00, 0x20, 0x00, // maximum flow window size: 8192
	0x00, 0x00, 0x00, 0x01, // handshake type: INDUCTION
	0x0a, 0xbc, 0xde, 0xf1, // SRT socket ID
	0x00, 0x00, 0x00, 0x00, // SYN cookie: 0
	0x01, 0x00, 0x00, 0x7f, // peer IP 127.0.0.1, libsrt's byte order
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
}

// srt-live-transmit 1.5.1's answer to goldenSRTInduction, captured on
// loopback: version 5, the SRT magic, our socket ID as destination, a cookie.
var capturedSRTResponse = []byte{
	0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x29, 0xdd, 0x0a, 0xbc, 0xde, 0xf1,
	0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x4a, 0x17, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x05, 0xdc,
	0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0xbc, 0xde, 0xf1, 0x4a, 0x24, 0xf3, 0x3c,
	0x01, 0x00, 0x00, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
}

func goldenRequest() srtHandshake {
	req := newSRTInduction(netip.MustParseAddr("127.0.0.1"))
	req.InitialSeq, req.SocketID = 0x12345678, 0x0abcdef1
	return req
}

func TestSRTInductionGolden(t *testing.T) {
	if got := goldenRequest().marshal(); !bytes.Equal(got, goldenSRTInduction) {
		t.Errorf("induction request\n got % x\nwant % x", got, goldenSRTInduction)
	}
	back, err := parseSRTHandshake(goldenSRTInduction)
	if err != nil || back != goldenRequest() {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestSRTInductionIsFresh(t *testing.T) {
	a, b := newSRTInduction(netip.MustParseAddr("::1")), newSRTInduction(netip.MustParseAddr("::1"))
	if a.SocketID == b.SocketID && a.InitialSeq == b.InitialSeq {
		t.Error("two requests share socket ID and sequence number")
	}
	for _, h := range []srtHandshake{a, b} {
		if h.SocketID == 0 || h.SocketID > srtMaxSocketID || h.InitialSeq > 0x7fffffff {
			t.Errorf("socket ID %#x, initial sequence %#x", h.SocketID, h.InitialSeq)
		}
	}
	// ::1 is 15 zero bytes and a one: the last word reversed.
	if want := [16]byte{12: 1}; a.PeerIP != want {
		t.Errorf("peer IP % x, want % x", a.PeerIP, want)
	}
	if got := srtPeerIP(netip.MustParseAddr("::ffff:192.0.2.1")); got != [16]byte{1, 2, 0, 192} {
		t.Errorf("IPv4-mapped peer IP % x", got)
	}
}

func TestSRTCapturedResponse(t *testing.T) {
	res, err := parseSRTHandshake(capturedSRTResponse)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSRTInduction(goldenRequest(), res); err != nil {
		t.Fatal(err)
	}
	if res.Cookie != 0x4a24f33c || res.PeerIP != srtPeerIP(netip.MustParseAddr("127.0.0.1")) {
		t.Errorf("cookie %#x, peer IP % x", res.Cookie, res.PeerIP)
	}
	if d := srtDetail(res); d != "SRT induction response, version 5" {
		t.Errorf("Detail = %q", d)
	}
}

func TestCheckSRTInduction(t *testing.T) {
	req := goldenRequest()
	good, err := parseSRTHandshake(capturedSRTResponse)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*srtHandshake)
		cause  string
	}{
		{"valid", func(*srtHandshake) {}, ""},
		{"wrong socket ID", func(h *srtHandshake) { h.DestSocket = 7 }, "SRT induction response for socket ID 0x7, not ours (0xabcdef1)"},
		{"zero cookie", func(h *srtHandshake) { h.Cookie = 0 }, "SRT induction response without a SYN cookie"},
		{"version 4", func(h *srtHandshake) { h.Version, h.Extension = 4, 2 },
			"SRT induction response version 4, want 5: an HSv4 listener (SRT before 1.3, or UDT)"},
		{"version 6", func(h *srtHandshake) { h.Version = 6 }, "SRT induction response version 6, want 5"},
		{"no magic", func(h *srtHandshake) { h.Extension = 2 }, "SRT induction response without the SRT magic 0x4A17 (extension field 0x0002)"},
		{"rejected", func(h *srtHandshake) { h.Type = 1002 }, "SRT listener rejected the induction (reason 2)"},
		{"conclusion", func(h *srtHandshake) { h.Type = 0xFFFFFFFF }, "SRT handshake of type 0xffffffff, want INDUCTION (1)"},
		{"our own request echoed", func(h *srtHandshake) { *h = req }, "SRT induction response for socket ID 0x0, not ours (0xabcdef1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := good
			tt.change(&res)
			err := checkSRTInduction(req, res)
			if (err == nil) != (tt.cause == "") || (err != nil && err.Error() != tt.cause) {
				t.Errorf("err = %v, want %q", err, tt.cause)
			}
		})
	}
}

func TestParseSRTHandshakeRejects(t *testing.T) {
	shutdown := append([]byte(nil), capturedSRTResponse[:16]...)
	shutdown[1] = 0x05
	tests := []struct {
		name string
		b    []byte
		err  string
	}{
		{"empty", nil, "not an SRT answer: an empty datagram"},
		{"short header", []byte{0x80, 0, 0, 0}, "not an SRT answer: 4 bytes starting 80 00 00 00"},
		{"STUN", []byte{0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, "not an SRT answer: a STUN message"},
		{"SIP", []byte("SIP/2.0 400 Bad Request\r\nVia: x\r\n\r\n"), `not an SRT answer: "SIP/2.0 400 Bad Request"`},
		{"data packet", append([]byte{0x00, 0x00, 0x00, 0x01}, make([]byte, 60)...), "not an SRT answer: 64 bytes starting 00 00 00 01 00 00 00 00"},
		{"shutdown", shutdown, "not an SRT handshake: an SRT control packet of type 0x0005"},
		{"short handshake", capturedSRTResponse[:40], "short SRT handshake: 40 bytes, want 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSRTHandshake(tt.b)
			if err == nil || err.Error() != tt.err {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
	// Extensions after the CIF are ignored.
	if _, err := parseSRTHandshake(append(append([]byte(nil), capturedSRTResponse...), 0, 1, 0, 0)); err != nil {
		t.Errorf("with trailing extension: %v", err)
	}
	if !strings.HasPrefix(describeDatagram([]byte("\x01binary")), "7 bytes starting 01 62") {
		t.Errorf("binary: %s", describeDatagram([]byte("\x01binary")))
	}
}
