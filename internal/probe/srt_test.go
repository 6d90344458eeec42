package probe

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v3"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// srtAnswer is a listener's induction response to req, changed by change.
// It runs on a server goroutine, so it reports through t.Error.
func srtAnswer(t testing.TB, req []byte, change func(*srtHandshake)) []byte {
	in, err := parseSRTHandshake(req)
	if err != nil {
		t.Errorf("server got a non-SRT request: %v", err)
		return nil
	}
	res := srtHandshake{DestSocket: in.SocketID, Version: srtVersion, Extension: srtMagic, InitialSeq: in.InitialSeq,
		MTU: in.MTU, FlowWindow: in.FlowWindow, Type: srtTypeInduction, SocketID: in.SocketID, Cookie: 0x4a24f33c, PeerIP: in.PeerIP}
	if change != nil {
		change(&res)
	}
	return res.marshal()
}

func TestSRTAgainstSrtLiveTransmit(t *testing.T) {
	tests := []struct {
		name    string
		options []string
		detail  string
	}{
		{"listener", nil, "SRT induction response, version 5"},
		// With a passphrase, libsrt's listener advertises its key length.
		{"listener with passphrase", []string{"passphrase=0123456789abcdef", "pbkeylen=32"},
			"SRT induction response, version 5, AES-256 advertised"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := SRT(within(t, 5*time.Second), target("127.0.0.1", testnet.SRTListener(t, tt.options...)), SRTOptions{})
			wantStatus(t, r, StatusOpen)
			if r.Detail != tt.detail || r.Protocol != "srt" || r.Transport != "udp" || r.RTT <= 0 {
				t.Errorf("result %+v, want Detail %q", r, tt.detail)
			}
		})
	}
}

func TestSRTPorts(t *testing.T) {
	tests := []struct {
		name    string
		port    func(testing.TB) uint16
		status  Status
		cause   string // prefix
		timeout time.Duration
	}{
		// The ICMP port unreachable reaches our connected socket.
		{"closed", func(tb testing.TB) uint16 { return testnet.ClosedPort(tb, "udp") }, StatusClosed, "connection refused", 5 * time.Second},
		{"silent", testnet.SilentUDP, StatusFiltered, "no SRT response to ", 150 * time.Millisecond},
		// A STUN server ignores what is not STUN, and an SRT handshake
		// starts with bits a STUN message must not have: silence.
		{"stun responder", func(tb testing.TB) uint16 { return testnet.STUN(tb, "udp") }, StatusFiltered, "no SRT response to ", 150 * time.Millisecond},
		// A valid answer from another source address proves nothing.
		{"answer from elsewhere", func(tb testing.TB) uint16 {
			return testnet.ScriptedUDPElsewhere(tb, func(_ int, req []byte) [][]byte { return [][]byte{srtAnswer(tb, req, nil)} })
		}, StatusFiltered, "no SRT response to ", 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := SRT(within(t, tt.timeout), target("127.0.0.1", tt.port(t)), SRTOptions{RTO: 10 * time.Millisecond})
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Cause, tt.cause) {
				t.Errorf("Cause = %q, want prefix %q", r.Cause, tt.cause)
			}
			if tt.status == StatusClosed && r.Code != CodeRefused {
				t.Errorf("Code = %q (%s), want %q", r.Code, r.Error, CodeRefused)
			}
			if tt.status == StatusFiltered && r.RTT != 0 {
				t.Errorf("RTT = %v for silence", r.RTT)
			}
		})
	}
}

func TestSRTScripted(t *testing.T) {
	stunReply, err := stun.Build(stun.TransactionID, stun.BindingSuccess)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		reply  func(t *testing.T, i int, req []byte) [][]byte
		status Status
		cause  string
	}{
		{
			name:   "valid induction response",
			reply:  func(t *testing.T, _ int, req []byte) [][]byte { return [][]byte{srtAnswer(t, req, nil)} },
			status: StatusOpen,
		},
		{
			name: "resends until answered",
			reply: func(t *testing.T, i int, req []byte) [][]byte {
				if i < 2 {
					return nil // lose the first two requests
				}
				return [][]byte{srtAnswer(t, req, nil)}
			},
			status: StatusOpen,
		},
		{
			name:   "STUN message",
			reply:  func(*testing.T, int, []byte) [][]byte { return [][]byte{stunReply.Raw} },
			status: StatusError, cause: "not an SRT answer: a STUN message",
		},
		{
			name:   "SIP answer",
			reply:  func(*testing.T, int, []byte) [][]byte { return [][]byte{[]byte("SIP/2.0 400 Bad Request\r\n\r\n")} },
			status: StatusError, cause: `not an SRT answer: "SIP/2.0 400 Bad Request"`,
		},
		{
			name:   "echo",
			reply:  func(_ *testing.T, _ int, req []byte) [][]byte { return [][]byte{append([]byte(nil), req...)} },
			status: StatusError, cause: "SRT induction response for socket ID 0x0, not ours",
		},
		{
			name: "wrong socket ID",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{srtAnswer(t, req, func(h *srtHandshake) { h.DestSocket++ })}
			},
			status: StatusError, cause: "SRT induction response for socket ID ",
		},
		{
			name: "zero cookie",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{srtAnswer(t, req, func(h *srtHandshake) { h.Cookie = 0 })}
			},
			status: StatusError, cause: "SRT induction response without a SYN cookie",
		},
		{
			name: "version 4 listener",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{srtAnswer(t, req, func(h *srtHandshake) { h.Version, h.Extension = 4, srtExtUDTDgram })}
			},
			status: StatusError, cause: "SRT induction response version 4, want 5",
		},
		{
			name: "short handshake",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{srtAnswer(t, req, nil)[:48]}
			},
			status: StatusError, cause: "short SRT handshake: 48 bytes, want 64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first []byte
			p := testnet.ScriptedUDP(t, func(i int, req []byte) [][]byte {
				// A resend must repeat the request byte for byte.
				if i == 0 {
					first = append(first, req...)
				} else if string(req) != string(first) {
					t.Errorf("request %d differs from the first", i)
				}
				return tt.reply(t, i, req)
			})
			r := SRT(within(t, 5*time.Second), target("127.0.0.1", p), SRTOptions{RTO: 10 * time.Millisecond})
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Cause, tt.cause) {
				t.Errorf("Cause = %q, want prefix %q", r.Cause, tt.cause)
			}
			if tt.status == StatusOpen && r.Detail != "SRT induction response, version 5" {
				t.Errorf("Detail = %q", r.Detail)
			}
		})
	}
}

func TestSRTFilteredCountsRequests(t *testing.T) {
	// RTO 20ms sends at 0, 20, 40, ... 180ms: at most ten requests in
	// 200ms; a loaded machine only sends later, so fewer, never more.
	r := SRT(within(t, 200*time.Millisecond), target("127.0.0.1", testnet.SilentUDP(t)), SRTOptions{RTO: 20 * time.Millisecond})
	wantStatus(t, r, StatusFiltered)
	var n int
	if _, err := fmt.Sscanf(r.Cause, "no SRT response to %d induction requests", &n); err != nil || n < 2 || n > 10 {
		t.Errorf("Cause = %q, want 2 to 10 requests", r.Cause)
	}
}

func TestSRTIPv6Silent(t *testing.T) {
	ip := testnet.Loopback6(t)
	r := SRT(within(t, 100*time.Millisecond), target(ip, testnet.SilentUDPOn(t, ip)), SRTOptions{RTO: 10 * time.Millisecond})
	wantStatus(t, r, StatusFiltered)
}
