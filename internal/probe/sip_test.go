package probe

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// sipAnswer answers req, a SIP request, with status such as "200 OK",
// copying Via, From, To, Call-ID and CSeq as RFC 3261 section 8.2.6 asks;
// set replaces header values, as {"CSeq": "2 OPTIONS"}. It runs on a server
// goroutine, so it reports through t.Error.
func sipAnswer(t *testing.T, req []byte, status string, set map[string]string) []byte {
	lines := strings.Split(string(req), "\r\n")
	if !strings.HasPrefix(lines[0], "OPTIONS sip:") {
		t.Errorf("server got %q, want an OPTIONS request", lines[0])
	}
	var b strings.Builder
	b.WriteString("SIP/2.0 " + status + "\r\n")
	for _, l := range lines[1:] {
		name, _, _ := strings.Cut(l, ":")
		switch name {
		case "Via", "From", "To", "Call-ID", "CSeq":
			if v, ok := set[name]; ok {
				l = name + ": " + v
			}
			b.WriteString(l + "\r\n")
		}
	}
	b.WriteString("Server: scripted\r\nContent-Length: 0\r\n\r\n")
	return []byte(b.String())
}

func sipAnswers(t *testing.T, req []byte, statuses ...string) [][]byte {
	var out [][]byte
	for _, s := range statuses {
		out = append(out, sipAnswer(t, req, s, nil))
	}
	return out
}

// The request is a correct RFC 3261 OPTIONS, and a retransmission repeats
// it byte for byte.
func TestSIPRequest(t *testing.T) {
	reqs := make(chan string, 10)
	p := testnet.ScriptedUDP(t, func(i int, req []byte) [][]byte {
		reqs <- string(req)
		if i < 1 {
			return nil // lose the first
		}
		return sipAnswers(t, req, "200 OK")
	})
	r := SIP(within(t, 5*time.Second), target("127.0.0.1", p), SIPOptions{T1: 10 * time.Millisecond})
	wantStatus(t, r, StatusOpen)
	first, second := <-reqs, <-reqs
	if first != second {
		t.Errorf("retransmission differs:\n%s\n%s", first, second)
	}
	for _, re := range []string{
		`^OPTIONS sip:127\.0\.0\.1:\d+ SIP/2\.0\r\n`,
		`\r\nVia: SIP/2\.0/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK[A-Z2-7]{26};rport\r\n`,
		`\r\nMax-Forwards: 70\r\n`,
		`\r\nTo: <sip:127\.0\.0\.1:\d+>\r\n`,
		`\r\nFrom: <sip:mediaprobe@127\.0\.0\.1>;tag=[A-Z2-7]{10}\r\n`,
		`\r\nCall-ID: [A-Z2-7]{26}\r\n`,
		`\r\nCSeq: 1 OPTIONS\r\n`,
		`\r\nContact: <sip:mediaprobe@127\.0\.0\.1:\d+>\r\n`,
		`\r\nAccept: application/sdp\r\n`,
		`\r\nUser-Agent: terraform-provider-media-probe\r\n`,
		`\r\nContent-Length: 0\r\n\r\n$`,
	} {
		if !regexp.MustCompile(re).MatchString(first) {
			t.Errorf("request lacks %s:\n%s", re, first)
		}
	}
}

func TestSIPUDPScripted(t *testing.T) {
	tests := []struct {
		name    string
		reply   func(t *testing.T, i int, req []byte) [][]byte
		opts    SIPOptions
		status  Status
		detail  string
		cause   string // prefix
		timeout time.Duration
	}{
		{name: "200 is open",
			reply:  func(t *testing.T, _ int, req []byte) [][]byte { return sipAnswers(t, req, "200 OK") },
			status: StatusOpen, detail: "SIP/2.0 200 OK; server: scripted"},
		{name: "any final status proves SIP",
			reply:  func(t *testing.T, _ int, req []byte) [][]byte { return sipAnswers(t, req, "483 Too Many Hops") },
			status: StatusOpen, detail: "SIP/2.0 483 Too Many Hops"},
		{name: "expect_status mismatch",
			reply:  func(t *testing.T, _ int, req []byte) [][]byte { return sipAnswers(t, req, "404 Not Found") },
			opts:   SIPOptions{ExpectStatus: 200},
			status: StatusError, detail: "SIP/2.0 404 Not Found", cause: "OPTIONS returned 404 Not Found, expected 200"},
		{name: "expect_status met",
			reply:  func(t *testing.T, _ int, req []byte) [][]byte { return sipAnswers(t, req, "401 Unauthorized") },
			opts:   SIPOptions{ExpectStatus: 401},
			status: StatusOpen, detail: "SIP/2.0 401 Unauthorized"},
		{name: "provisional then final",
			reply:  func(t *testing.T, _ int, req []byte) [][]byte { return sipAnswers(t, req, "100 Trying", "200 OK") },
			status: StatusOpen, detail: "SIP/2.0 200 OK"},
		{name: "final answers a retransmission after a provisional",
			reply: func(t *testing.T, i int, req []byte) [][]byte {
				if i == 0 {
					return sipAnswers(t, req, "100 Trying")
				}
				return sipAnswers(t, req, "403 Forbidden")
			},
			status: StatusOpen, detail: "SIP/2.0 403 Forbidden"},
		{name: "provisional only",
			reply:  func(t *testing.T, _ int, req []byte) [][]byte { return sipAnswers(t, req, "100 Trying") },
			status: StatusError, detail: "SIP/2.0 100 Trying",
			cause: "SIP/2.0 100 Trying, but no final response within attempt_timeout", timeout: 150 * time.Millisecond},
		{name: "other Call-ID and CSeq ignored",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{
					sipAnswer(t, req, "500 Stale", map[string]string{"Call-ID": "someone-else"}),
					sipAnswer(t, req, "500 Stale", map[string]string{"CSeq": "2 OPTIONS"}),
					sipAnswer(t, req, "500 Stale", map[string]string{"CSeq": "1 REGISTER"}),
					[]byte("\r\n\r\n"), // a keep-alive
					sipAnswer(t, req, "200 OK", nil),
				}
			},
			status: StatusOpen, detail: "SIP/2.0 200 OK"},
		{name: "only other CSeqs is filtered",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{sipAnswer(t, req, "200 OK", map[string]string{"CSeq": "2 OPTIONS"})}
			},
			status: StatusFiltered, cause: "no SIP response to ", timeout: 150 * time.Millisecond},
		{name: "a flood of other answers is an error",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				var out [][]byte
				for range maxTextMessages {
					out = append(out, sipAnswer(t, req, "200 OK", map[string]string{"Call-ID": "other"}))
				}
				return out
			},
			status: StatusError, cause: "no SIP response to our request"},
		{name: "garbage is an error",
			reply:  func(*testing.T, int, []byte) [][]byte { return [][]byte{[]byte("\x16\x03\x01 not SIP")} },
			status: StatusError, cause: "not a SIP response"},
		{name: "echo is an error",
			reply:  func(_ *testing.T, _ int, req []byte) [][]byte { return [][]byte{append([]byte(nil), req...)} },
			status: StatusError, cause: "not a SIP response"},
		{name: "oversize header is an error",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{sipAnswer(t, req, "200 OK", map[string]string{"To": strings.Repeat("x", maxTextHead)})}
			},
			status: StatusError, cause: "SIP response too large"},
		{name: "silence is filtered",
			reply:  func(*testing.T, int, []byte) [][]byte { return nil },
			status: StatusFiltered, cause: "no SIP response to ", timeout: 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testnet.ScriptedUDP(t, func(i int, req []byte) [][]byte { return tt.reply(t, i, req) })
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			tt.opts.T1 = 10 * time.Millisecond
			r := SIP(within(t, timeout), target("127.0.0.1", p), tt.opts)
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Detail, tt.detail) || !strings.HasPrefix(r.Cause, tt.cause) {
				t.Errorf("Detail = %q, Cause = %q; want prefixes %q, %q", r.Detail, r.Cause, tt.detail, tt.cause)
			}
			if r.Protocol != "sip" || r.Transport != "udp" {
				t.Errorf("result %+v", r)
			}
		})
	}
}

// A reply from another address than the one probed does not count: the
// connected socket never sees it, so the port reads filtered.
func TestSIPReplyFromAnotherAddress(t *testing.T) {
	asked := make(chan struct{}, 1)
	p := testnet.ScriptedUDPFrom(t, "127.0.0.2", func(_ int, req []byte) [][]byte {
		select {
		case asked <- struct{}{}:
		default:
		}
		return sipAnswers(t, req, "200 OK")
	})
	r := SIP(within(t, 200*time.Millisecond), target("127.0.0.1", p), SIPOptions{T1: 10 * time.Millisecond})
	wantStatus(t, r, StatusFiltered)
	select {
	case <-asked:
	default:
		t.Error("the server never got the request, so never answered from 127.0.0.2")
	}
}

// RFC 3261 timer E: T1 10ms doubling sends at 0, 10, 30, 70 and 150ms,
// five requests in 200ms. A loaded machine only sends later, never more.
func TestSIPRetransmitsPerTimerE(t *testing.T) {
	r := SIP(within(t, 200*time.Millisecond), target("127.0.0.1", testnet.SilentUDP(t)), SIPOptions{T1: 10 * time.Millisecond})
	wantStatus(t, r, StatusFiltered)
	var n int
	if _, err := fmt.Sscanf(r.Cause, "no SIP response to %d requests", &n); err != nil || n < 2 || n > 5 {
		t.Errorf("Cause = %q, want 2 to 5 requests", r.Cause)
	}
	if r.RTT != 0 {
		t.Errorf("RTT = %v for silence", r.RTT)
	}
}

func TestSIPUDPClosed(t *testing.T) {
	r := SIP(within(t, 5*time.Second), target("127.0.0.1", testnet.ClosedPort(t, "udp")), SIPOptions{})
	wantStatus(t, r, StatusClosed)
	if r.Code != CodeRefused || r.Cause != "connection refused" {
		t.Errorf("Code = %q, Cause = %q", r.Code, r.Cause)
	}
}

func TestSIPTCPScripted(t *testing.T) {
	tests := []struct {
		name    string
		port    func(testing.TB) uint16
		status  Status
		detail  string
		cause   string
		timeout time.Duration
	}{
		{"provisional with a body, then final", tcpScripted(func(req []byte) []byte {
			trying := strings.Replace(string(sipAnswer(t, req, "100 Trying", nil)), "Content-Length: 0\r\n\r\n", "Content-Length: 5\r\n\r\nhello", 1)
			return append([]byte(trying), sipAnswer(t, req, "200 OK", nil)...)
		}), StatusOpen, "SIP/2.0 200 OK; server: scripted", "", 5 * time.Second},
		{"other CSeq skipped", tcpScripted(func(req []byte) []byte {
			return append(sipAnswer(t, req, "500 Stale", map[string]string{"CSeq": "7 OPTIONS"}), sipAnswer(t, req, "405 Method Not Allowed", nil)...)
		}), StatusOpen, "SIP/2.0 405 Method Not Allowed", "", 5 * time.Second},
		{"provisional then silence", tcpScripted(func(req []byte) []byte { return sipAnswer(t, req, "180 Ringing", nil) }),
			StatusError, "SIP/2.0 180 Ringing", "SIP/2.0 180 Ringing, but no final response within attempt_timeout", 150 * time.Millisecond},
		{"oversize header", tcpScripted(func(req []byte) []byte {
			return sipAnswer(t, req, "200 OK", map[string]string{"From": strings.Repeat("f", 2*maxTextHead)})
		}), StatusError, "", "SIP response too large", 5 * time.Second},
		{"banner is not SIP", func(tb testing.TB) uint16 { return testnet.TCPBanner(tb, []byte("SSH-2.0-OpenSSH_9.6\r\n")) },
			StatusError, "", "not a SIP response", 5 * time.Second},
		{"hang-up without answer", testnet.TCPListener, StatusError, "", "connection closed without a SIP response", 5 * time.Second},
		{"silence after connect", func(tb testing.TB) uint16 { return testnet.TCPBanner(tb, nil) },
			StatusError, "", "connected, but no SIP answer within attempt_timeout", 150 * time.Millisecond},
		{"connect never completes", testnet.UnansweredTCP, StatusFiltered, "", "no answer before the deadline", 150 * time.Millisecond},
		{"closed", func(tb testing.TB) uint16 { return testnet.ClosedPort(tb, "tcp") }, StatusClosed, "", "connection refused", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := SIP(within(t, tt.timeout), target("127.0.0.1", tt.port(t)), SIPOptions{Transport: "tcp"})
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Detail, tt.detail) || r.Cause != tt.cause {
				t.Errorf("Detail = %q, Cause = %q; want %q, %q", r.Detail, r.Cause, tt.detail, tt.cause)
			}
		})
	}
}

func TestSIPUnknownTransport(t *testing.T) {
	r := SIP(within(t, time.Second), target("127.0.0.1", 5060), SIPOptions{Transport: "sctp"})
	wantStatus(t, r, StatusError)
}
