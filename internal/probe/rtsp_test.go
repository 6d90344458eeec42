package probe

import (
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

var rtspCSeq = regexp.MustCompile(`(?m)^CSeq: (\d+)\r$`)

// rtspAnswer answers an RTSP request head with status line and extra
// headers, echoing its CSeq unless cseq is set. It runs on a server
// goroutine, so it reports through t.Error.
func rtspAnswer(t *testing.T, req []byte, status, cseq, extra string) []byte {
	m := rtspCSeq.FindSubmatch(req)
	if m == nil {
		t.Errorf("request without CSeq:\n%s", req)
		return nil
	}
	if cseq == "" {
		cseq = string(m[1])
	}
	return []byte(status + "\r\nCSeq: " + cseq + "\r\n" + extra + "\r\n")
}

// tcpScripted is a port that answers each TCP request with what answer
// builds from it (RTSP and SIP over TCP).
func tcpScripted(answer func(req []byte) []byte) func(testing.TB) uint16 {
	return func(tb testing.TB) uint16 { return testnet.TCPReplies(tb, answer) }
}

func TestRTSPScripted(t *testing.T) {
	tests := []struct {
		name    string
		port    func(testing.TB) uint16
		status  Status
		detail  string
		cause   string
		timeout time.Duration
	}{
		{"401 proves RTSP", tcpScripted(func(req []byte) []byte {
			return rtspAnswer(t, req, "RTSP/1.0 401 Unauthorized", "", "WWW-Authenticate: Basic realm=\"cam\"\r\n")
		}), StatusOpen, "RTSP/1.0 401 Unauthorized", "", 5 * time.Second},
		{"public methods in detail", tcpScripted(func(req []byte) []byte {
			return rtspAnswer(t, req, "RTSP/1.0 200 OK", "", "Public: OPTIONS, DESCRIBE\r\nServer: cam/1.0\r\n")
		}), StatusOpen, "RTSP/1.0 200 OK; public: OPTIONS, DESCRIBE; server: cam/1.0", "", 5 * time.Second},
		{"other CSeq skipped", tcpScripted(func(req []byte) []byte {
			stale := rtspAnswer(t, req, "RTSP/1.0 500 Stale", "0", "Content-Length: 4\r\n")
			return append(append(stale, "body"...), rtspAnswer(t, req, "RTSP/1.0 404 Not Found", "", "")...)
		}), StatusOpen, "RTSP/1.0 404 Not Found", "", 5 * time.Second},
		{"only other CSeq is mute", tcpScripted(func(req []byte) []byte {
			return rtspAnswer(t, req, "RTSP/1.0 200 OK", "0", "")
		}), StatusError, "", "connected, but no RTSP answer within attempt_timeout", 150 * time.Millisecond},
		{"oversize header", tcpScripted(func(req []byte) []byte {
			return rtspAnswer(t, req, "RTSP/1.0 200 OK", "", "X-Big: "+strings.Repeat("x", 2*maxTextHead)+"\r\n")
		}), StatusError, "", "RTSP response too large", 5 * time.Second},
		{"garbage", tcpScripted(func([]byte) []byte { return []byte("\x00\x01\x02\x03\xff") }),
			StatusError, "", "not an RTSP response", 5 * time.Second},
		{"HTTP is not RTSP", func(tb testing.TB) uint16 { return testnet.HTTPServer(tb, http.StatusOK, nil) },
			StatusError, "", "not an RTSP response", 5 * time.Second},
		{"hang-up without answer", testnet.TCPListener, StatusError, "", "connection closed without an RTSP response", 5 * time.Second},
		{"silence after connect", func(tb testing.TB) uint16 { return testnet.TCPBanner(tb, nil) },
			StatusError, "", "connected, but no RTSP answer within attempt_timeout", 150 * time.Millisecond},
		{"connect never completes", testnet.UnansweredTCP, StatusFiltered, "", "no answer before the deadline", 150 * time.Millisecond},
		{"closed", func(tb testing.TB) uint16 { return testnet.ClosedPort(tb, "tcp") }, StatusClosed, "", "connection refused", 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := RTSP(within(t, tt.timeout), target("127.0.0.1", tt.port(t)), RTSPOptions{})
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Detail, tt.detail) || r.Cause != tt.cause {
				t.Errorf("Detail = %q, Cause = %q; want %q, %q", r.Detail, r.Cause, tt.detail, tt.cause)
			}
			if tt.status == StatusClosed && r.Code != CodeRefused {
				t.Errorf("Code = %q (%s)", r.Code, r.Error)
			}
		})
	}
}

// The request line names the server as the user wrote it, and the path.
func TestRTSPRequest(t *testing.T) {
	reqs := make(chan string, 1)
	p := testnet.TCPReplies(t, func(req []byte) []byte {
		reqs <- string(req)
		return rtspAnswer(t, req, "RTSP/1.0 200 OK", "", "")
	})
	tg := Target{Host: "cam.example", IP: netip.MustParseAddr("127.0.0.1"), Port: p}
	r := RTSP(within(t, 5*time.Second), tg, RTSPOptions{Path: "live/1"})
	wantStatus(t, r, StatusOpen)
	req := <-reqs
	re := regexp.MustCompile(`^OPTIONS rtsp://cam\.example:\d+/live/1 RTSP/1\.0\r\nCSeq: \d+\r\nUser-Agent: terraform-provider-media-probe\r\n\r\n$`)
	if !re.MatchString(req) {
		t.Errorf("request:\n%q", req)
	}
}

func TestRTSPURL(t *testing.T) {
	tests := []struct {
		scheme, host string
		port         uint16
		path, want   string
	}{
		{"rtsp", "cam.example", 554, "", "rtsp://cam.example:554"},
		{"rtsp", "cam.example", 8554, "/live", "rtsp://cam.example:8554/live"},
		{"rtsps", "::1", 322, "live", "rtsps://[::1]:322/live"},
		{"rtsp", "[::1]", 554, "", "rtsp://[::1]:554"},
	}
	for _, tt := range tests {
		if got := rtspURL(tt.scheme, tt.host, tt.port, tt.path); got != tt.want {
			t.Errorf("rtspURL(%q, %q, %d, %q) = %q, want %q", tt.scheme, tt.host, tt.port, tt.path, got, tt.want)
		}
	}
}
