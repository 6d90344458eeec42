package probe

import (
	"crypto/rand"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// Against Debian's nginx with libnginx-mod-rtmp, and the same nginx behind a
// TLS terminator for rtmps (nginx-rtmp has no TLS of its own).
func TestRTMPAgainstNginx(t *testing.T) {
	nginx := testnet.NginxRTMP(t)
	certPEM, keyPEM, pool := testnet.Cert(t) // localhost, 127.0.0.1, ::1
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	rtmps := testnet.TLSTerminator(t, &tls.Config{Certificates: []tls.Certificate{kp}}, nginx)
	_, _, otherPool := testnet.Cert(t)
	shortPEM, shortKey, shortPool := testnet.CertValidFor(t, 71*time.Hour+30*time.Minute)
	rtmpsShort := testnet.TLSTerminator(t, &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, shortPEM, shortKey)}}, nginx)

	tests := []struct {
		name   string
		port   uint16
		opts   RTMPOptions
		status Status
		cause  string // prefix
		detail string // prefix
	}{
		{"rtmp", nginx, RTMPOptions{}, StatusOpen, "", "RTMP version 3 handshake"},
		{"rtmps", rtmps, RTMPOptions{TLS: &TLSOptions{RootCAs: pool}}, StatusOpen, "",
			"RTMP version 3 handshake; TLS 1.3, CN=localhost, expires 20"},
		{"rtmps untrusted", rtmps, RTMPOptions{TLS: &TLSOptions{RootCAs: otherPool}}, StatusError,
			"certificate signed by unknown authority", ""},
		{"rtmps wrong name", rtmps, RTMPOptions{TLS: &TLSOptions{RootCAs: pool, ServerName: "media.example"}}, StatusError,
			"certificate is valid for localhost, not media.example", ""},
		{"rtmps min validity", rtmpsShort, RTMPOptions{TLS: &TLSOptions{RootCAs: shortPool, MinValidity: 168 * time.Hour}},
			StatusError, "certificate expires in 71h", "TLS 1.3"},
		// nginx-rtmp waits for all 1537 bytes of C0+C1 before it answers,
		// and a ClientHello is shorter.
		{"rtmps against plain rtmp", nginx, RTMPOptions{TLS: &TLSOptions{RootCAs: pool}}, StatusError,
			"connected, but no TLS answer within attempt_timeout", ""},
		// crypto/tls reads C0 as a record header and hangs up without an
		// alert.
		{"rtmp against rtmps", rtmps, RTMPOptions{}, StatusError, "connection closed without an RTMP answer", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := 5 * time.Second
			mute := strings.HasPrefix(tt.cause, CauseMutePrefix)
			if mute {
				d = 300 * time.Millisecond
			}
			r := RTMP(within(t, d), target("127.0.0.1", tt.port), tt.opts)
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Cause, tt.cause) || !strings.HasPrefix(r.Detail, tt.detail) {
				t.Errorf("Cause = %q, Detail = %q; want prefixes %q, %q", r.Cause, r.Detail, tt.cause, tt.detail)
			}
			if mute {
				return // silence has no RTT
			}
			wantProtocol := "rtmp"
			if tt.opts.TLS != nil {
				wantProtocol = "rtmps"
			}
			if r.Protocol != wantProtocol || r.Transport != "tcp" || r.RTT <= 0 {
				t.Errorf("result %+v", r)
			}
		})
	}
}

// Other services, and ports that refuse or stay silent.
func TestRTMPWrongAnswers(t *testing.T) {
	tests := []struct {
		name    string
		port    func(testing.TB) uint16
		status  Status
		cause   string
		timeout time.Duration
	}{
		{"closed", func(tb testing.TB) uint16 { return testnet.ClosedPort(tb, "tcp") }, StatusClosed, "connection refused", 5 * time.Second},
		{"http server", func(tb testing.TB) uint16 { return testnet.HTTPServer(tb, 200, nil) },
			StatusError, `not an RTMP server: it answered "HTTP/1.1 400 Bad Request"`, 5 * time.Second},
		{"sip banner", func(tb testing.TB) uint16 {
			return testnet.TCPBanner(tb, []byte("SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		}, StatusError, `not an RTMP server: it answered "SIP/2.0 400 Bad Request"`, 5 * time.Second},
		{"hang-up without answer", testnet.TCPListener, StatusError, "connection closed without an RTMP answer", 5 * time.Second},
		{"silence after connect", func(tb testing.TB) uint16 { return testnet.TCPBanner(tb, nil) },
			StatusError, "connected, but no RTMP answer within attempt_timeout", 200 * time.Millisecond},
		{"connect never completes", testnet.UnansweredTCP, StatusFiltered, "no answer before the deadline", 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := RTMP(within(t, tt.timeout), target("127.0.0.1", tt.port(t)), RTMPOptions{})
			wantStatus(t, r, tt.status)
			if r.Cause != tt.cause {
				t.Errorf("Cause = %q, want %q", r.Cause, tt.cause)
			}
			if tt.status == StatusClosed && r.Code != CodeRefused {
				t.Errorf("Code = %q (%s), want %q", r.Code, r.Error, CodeRefused)
			}
			if tt.timeout < time.Second && r.Code != CodeNoAnswer && r.Code != CodeMute {
				t.Errorf("Code = %q (%s), want silence", r.Code, r.Error)
			}
		})
	}
}

// Scripted servers: answers that real RTMP servers give, and broken ones.
func TestRTMPScripted(t *testing.T) {
	sig := func(time, time2 []byte, random []byte) []byte {
		return append(append(append([]byte(nil), time...), time2...), random...)
	}
	randomSig := func() []byte {
		b := make([]byte, rtmpSigSize)
		_, _ = rand.Read(b)
		return b
	}
	tests := []struct {
		name    string
		reply   func(c01 []byte) ([]byte, bool) // answer, hang up
		status  Status
		cause   string
		timeout time.Duration
	}{
		{
			name: "spec: S1 random, S2 echoes C1 with its own time2",
			reply: func(c01 []byte) ([]byte, bool) {
				c1 := c01[1:]
				return append(append([]byte{3}, randomSig()...), sig(c1[:4], []byte{0, 0, 0, 42}, c1[8:])...), false
			},
			status: StatusOpen,
		},
		{
			name: "nginx-rtmp old style: S1 and S2 both C1",
			reply: func(c01 []byte) ([]byte, bool) {
				return append(append([]byte(nil), c01...), c01[1:]...), false
			},
			status: StatusOpen,
		},
		{
			name: "S2 time fields differ: only the random part is compared",
			reply: func(c01 []byte) ([]byte, bool) {
				return append(append([]byte{3}, randomSig()...), sig([]byte{0xde, 0xad, 0xbe, 0xef}, []byte{1, 2, 3, 4}, c01[9:])...), true
			},
			status: StatusOpen,
		},
		{
			name: "S2 does not echo C1",
			reply: func([]byte) ([]byte, bool) {
				return append(append([]byte{3}, randomSig()...), randomSig()...), false
			},
			status: StatusError, cause: CauseRTMPNoEcho,
		},
		{
			name:   "wrong version",
			reply:  func(c01 []byte) ([]byte, bool) { return append([]byte{6}, c01[1:]...), true },
			status: StatusError, cause: "not an RTMP version 3 answer: first byte 0x06",
		},
		{
			name:   "TLS alert",
			reply:  func([]byte) ([]byte, bool) { return []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46}, true },
			status: StatusError, cause: "not an RTMP answer: first byte 0x15 is a TLS record (is this port rtmps?)",
		},
		{
			name:   "short S0 only, then hang-up",
			reply:  func([]byte) ([]byte, bool) { return []byte{3}, true },
			status: StatusError, cause: "connection closed during the RTMP handshake, after 1 of 3073 bytes of S0+S1+S2",
		},
		{
			name: "echo service: S0+S1, then silence",
			reply: func(c01 []byte) ([]byte, bool) {
				return append([]byte(nil), c01...), false
			},
			status: StatusError, cause: "RTMP handshake incomplete: 1537 of 3073 bytes of S0+S1+S2 within attempt_timeout",
			timeout: 200 * time.Millisecond,
		},
		{
			name: "short S2, then hang-up",
			reply: func(c01 []byte) ([]byte, bool) {
				return append(append([]byte(nil), c01...), c01[1:1000]...), true
			},
			status: StatusError, cause: "connection closed during the RTMP handshake, after 2536 of 3073 bytes of S0+S1+S2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testnet.ScriptedTCP(t, 1+rtmpSigSize, func(req []byte) ([]byte, bool) {
				if req[0] != rtmpVersion || string(req[5:9]) != "\x00\x00\x00\x00" {
					t.Errorf("C0+C1 starts % x, want version 3 and four zero bytes", req[:9])
				}
				return tt.reply(req)
			})
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			r := RTMP(within(t, timeout), target("127.0.0.1", p), RTMPOptions{})
			wantStatus(t, r, tt.status)
			if r.Cause != tt.cause {
				t.Errorf("Cause = %q, want %q", r.Cause, tt.cause)
			}
			if tt.status == StatusOpen && r.Detail != "RTMP version 3 handshake" {
				t.Errorf("Detail = %q", r.Detail)
			}
		})
	}
}

func TestRTMPC1IsFresh(t *testing.T) {
	a, b := newRTMPC0C1(), newRTMPC0C1()
	if len(a) != 1537 || a[0] != 3 || string(a[1:9]) != string(make([]byte, 8)) {
		t.Fatalf("C0+C1 starts % x, len %d", a[:9], len(a))
	}
	if string(a[9:]) == string(b[9:]) {
		t.Error("two C1s share their random part")
	}
}

func TestCheckRTMPAnswer(t *testing.T) {
	c01 := newRTMPC0C1()
	good := append(append([]byte(nil), c01...), c01[1:]...)
	if err := checkRTMPAnswer(c01, good); err != nil {
		t.Errorf("nginx-style answer: %v", err)
	}
	if err := checkRTMPAnswer(c01, good[:100]); err == nil || !strings.Contains(err.Error(), "100 bytes, want 3073") {
		t.Errorf("short answer: %v", err)
	}
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 1
	if err := checkRTMPAnswer(c01, bad); err == nil || err.Error() != CauseRTMPNoEcho {
		t.Errorf("one flipped bit in S2: %v", err)
	}
	bad[len(bad)-1] ^= 1
	bad[0] = 'H'
	if err := checkRTMPAnswer(c01, bad); err == nil || !strings.HasPrefix(err.Error(), "not an RTMP server") {
		t.Errorf("wrong S0: %v", err)
	}
}

// A TLS 1.3 server that requires a client certificate refuses only after
// the handshake, in place of S0.
func TestRTMPSClientCertRequired(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{testnet.KeyPair(t, certPEM, keyPEM)},
		ClientAuth: tls.RequireAnyClientCert, MinVersion: tls.VersionTLS13}
	p := testnet.TLSTerminator(t, cfg, testnet.TCPListener(t))
	r := RTMP(within(t, 5*time.Second), target("127.0.0.1", p), RTMPOptions{TLS: &TLSOptions{RootCAs: pool}})
	wantStatus(t, r, StatusError)
	if r.Cause != CauseClientCert {
		t.Errorf("Cause = %q, want %q", r.Cause, CauseClientCert)
	}
}
