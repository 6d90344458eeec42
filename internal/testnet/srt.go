package testnet

import (
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SRTListener starts srt-live-transmit (Debian package srt-tools) in the
// foreground as an SRT listener on a free 127.0.0.1 UDP port, writing
// whatever a caller would send to its stdout, and returns the port once it
// answers an induction request. Each option is one more key=value of the
// srt:// URI's query, such as "passphrase=0123456789abcdef". Cleanup kills
// it by PID and waits for it. Without srt-live-transmit it skips (fails
// under MEDIA_REQUIRE_ALL_TESTS=1).
func SRTListener(tb testing.TB, options ...string) uint16 {
	tb.Helper()
	bin := lookBinary(tb, "srt-live-transmit", "srt-tools")
	p := freePorts(tb, "udp", 1)
	addr := net.JoinHostPort(loopback4, strconv.Itoa(int(p)))
	uri := "srt://" + addr + "?" + strings.Join(append([]string{"mode=listener"}, options...), "&")
	s := startProcess(tb, tb.TempDir(), nil, bin, uri, "file://con")
	s.waitReady(tb, func() bool { return answersSRT(tb, addr) })
	return p
}

// answersSRT reports whether addr answers an SRT induction request with an
// SRT handshake. A refusal (ICMP port unreachable) returns at once; a bound
// port gets serverPoll to answer.
func answersSRT(tb testing.TB, addr string) bool {
	var d net.Dialer
	c, err := d.DialContext(tb.Context(), "udp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(serverPoll))
	if _, err := c.Write(srtInduction()); err != nil {
		return false
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	return err == nil && n >= 64 && buf[0] == 0x80 && buf[1] == 0
}

// srtInduction is a bare SRT caller's induction request (draft-sharabayko-srt
// section 4.3.1.1) for readiness checks; the probe has the real encoder.
func srtInduction() []byte {
	b := make([]byte, 64)
	be := binary.BigEndian
	be.PutUint16(b[0:], 0x8000)      // control packet, type handshake
	be.PutUint32(b[16:], 4)          // version 4
	be.PutUint16(b[22:], 2)          // extension field: UDT_DGRAM
	be.PutUint32(b[28:], 1500)       // MTU
	be.PutUint32(b[32:], 8192)       // flow window
	be.PutUint32(b[36:], 1)          // handshake type INDUCTION
	be.PutUint32(b[40:], 0x0badcafe) // our socket ID
	return b
}

// ScriptedUDPElsewhere is ScriptedUDP, except that the replies leave from
// another 127.0.0.1 socket than the one the requests reached, as from a
// different host or a misconfigured NAT: a prober must not take them for
// the port's answer.
func ScriptedUDPElsewhere(tb testing.TB, reply func(i int, req []byte) [][]byte) uint16 {
	tb.Helper()
	other := listenPacket(tb, loopback4)
	in := listenPacket(tb, loopback4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for i := 0; ; i++ {
			n, from, err := in.ReadFrom(buf)
			if err != nil {
				return // closed by cleanup
			}
			for _, out := range reply(i, buf[:n]) {
				if _, err := other.WriteTo(out, from); err != nil {
					tb.Errorf("testnet: ScriptedUDPElsewhere write to %s: %v", from, err)
				}
			}
		}
	}()
	tb.Cleanup(func() {
		_ = in.Close()
		_ = other.Close()
		<-done
	})
	return port(in.LocalAddr())
}
