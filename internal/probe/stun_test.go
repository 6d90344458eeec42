package probe

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v3"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// answer builds a message of type typ for the request in req, with the
// request's transaction ID unless id is set. It runs on a server goroutine,
// so it reports through t.Error.
func answer(t *testing.T, req []byte, typ stun.MessageType, id *[stun.TransactionIDSize]byte, attrs ...stun.Setter) []byte {
	var in stun.Message
	if err := stun.Decode(req, &in); err != nil {
		t.Errorf("server got a non-STUN request: %v", err)
		return nil
	}
	txid := in.TransactionID
	if id != nil {
		txid = *id
	}
	m, err := stun.Build(append([]stun.Setter{stun.NewTransactionIDSetter(txid), typ}, attrs...)...)
	if err != nil {
		t.Errorf("build: %v", err)
		return nil
	}
	return m.Raw
}

func xorAddr(ip string, port int) stun.Setter {
	return &stun.XORMappedAddress{IP: net.ParseIP(ip), Port: port}
}

func TestSTUNAgainstResponder(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			r := STUN(within(t, 5*time.Second), target("127.0.0.1", testnet.STUN(t, transport)), STUNOptions{Transport: transport})
			wantStatus(t, r, StatusOpen)
			if !strings.HasPrefix(r.MappedAddress, "127.0.0.1:") {
				t.Errorf("MappedAddress = %q", r.MappedAddress)
			}
			if !strings.Contains(r.Detail, "mediaprobe") || r.Protocol != "stun" || r.Transport != transport || r.RTT <= 0 {
				t.Errorf("result %+v", r)
			}
		})
		t.Run(transport+"/ipv6", func(t *testing.T) {
			ip := testnet.Loopback6(t)
			r := STUN(within(t, 5*time.Second), target(ip, testnet.STUNOn(t, transport, ip)), STUNOptions{Transport: transport})
			wantStatus(t, r, StatusOpen)
			if !strings.HasPrefix(r.MappedAddress, "[::1]:") {
				t.Errorf("MappedAddress = %q", r.MappedAddress)
			}
		})
		t.Run(transport+"/closed", func(t *testing.T) {
			// On UDP the refusal is the ICMP port unreachable reaching our
			// connected socket.
			r := STUN(within(t, 5*time.Second), target("127.0.0.1", testnet.ClosedPort(t, transport)), STUNOptions{Transport: transport})
			wantStatus(t, r, StatusClosed)
			if r.Code != CodeRefused {
				t.Errorf("Code = %q (%s)", r.Code, r.Error)
			}
		})
	}
}

func TestSTUNUDPScripted(t *testing.T) {
	wrongID := stun.NewTransactionID()
	tests := []struct {
		name    string
		reply   func(t *testing.T, i int, req []byte) [][]byte
		status  Status
		mapped  string
		detail  string
		cause   string
		timeout time.Duration
	}{
		{
			name: "error response is open",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{answer(t, req, stun.BindingError, nil, stun.CodeUnauthorized)}
			},
			status: StatusOpen, detail: "STUN error 401 Unauthorized",
		},
		{
			name: "other transaction IDs and garbage are ignored",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{
					answer(t, req, stun.BindingSuccess, &wrongID, xorAddr("192.0.2.1", 1)),
					[]byte("hello, not STUN at all"),
					answer(t, req, stun.BindingSuccess, nil, xorAddr("198.51.100.7", 3478)),
				}
			},
			status: StatusOpen, mapped: "198.51.100.7:3478", detail: "STUN Binding success",
		},
		{
			name: "mapped address fallback",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{answer(t, req, stun.BindingSuccess, nil, &stun.MappedAddress{IP: net.ParseIP("203.0.113.9"), Port: 9})}
			},
			status: StatusOpen, mapped: "203.0.113.9:9",
		},
		{
			name: "retransmits until answered",
			reply: func(t *testing.T, i int, req []byte) [][]byte {
				if i < 2 {
					return nil // lose the first two requests
				}
				return [][]byte{answer(t, req, stun.BindingSuccess, nil, xorAddr("198.51.100.7", 1))}
			},
			status: StatusOpen, mapped: "198.51.100.7:1",
		},
		{
			name: "only wrong answers is filtered",
			reply: func(t *testing.T, _ int, req []byte) [][]byte {
				return [][]byte{answer(t, req, stun.BindingSuccess, &wrongID), []byte("garbage")}
			},
			status: StatusFiltered, cause: "no STUN response to ", timeout: 150 * time.Millisecond,
		},
		{
			name:   "echo is an error",
			reply:  func(_ *testing.T, _ int, req []byte) [][]byte { return [][]byte{append([]byte(nil), req...)} },
			status: StatusError, cause: "not a STUN response",
		},
		{
			name:   "silence is filtered",
			reply:  func(*testing.T, int, []byte) [][]byte { return nil },
			status: StatusFiltered, cause: "no STUN response to ", timeout: 150 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first []byte
			p := testnet.ScriptedUDP(t, func(i int, req []byte) [][]byte {
				// A retransmission must repeat the request byte for byte.
				if i == 0 {
					first = append(first, req...)
				} else if string(req) != string(first) {
					t.Errorf("request %d differs from the first", i)
				}
				return tt.reply(t, i, req)
			})
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			r := STUN(within(t, timeout), target("127.0.0.1", p), STUNOptions{RTO: 10 * time.Millisecond})
			wantStatus(t, r, tt.status)
			if r.MappedAddress != tt.mapped {
				t.Errorf("MappedAddress = %q, want %q", r.MappedAddress, tt.mapped)
			}
			if !strings.HasPrefix(r.Detail, tt.detail) || !strings.HasPrefix(r.Cause, tt.cause) {
				t.Errorf("Detail = %q, Cause = %q; want prefixes %q, %q", r.Detail, r.Cause, tt.detail, tt.cause)
			}
		})
	}
}

func TestSTUNFilteredCountsRequests(t *testing.T) {
	// RTO 10ms doubling sends at 0, 10, 30, 70 and 150ms: five requests in
	// 200ms. A loaded machine only sends later, so fewer, never more.
	r := STUN(within(t, 200*time.Millisecond), target("127.0.0.1", testnet.SilentUDP(t)), STUNOptions{RTO: 10 * time.Millisecond})
	wantStatus(t, r, StatusFiltered)
	var n int
	if _, err := fmt.Sscanf(r.Cause, "no STUN response to %d requests", &n); err != nil || n < 2 || n > 5 {
		t.Errorf("Cause = %q, want 2 to 5 requests", r.Cause)
	}
	if r.RTT != 0 {
		t.Errorf("RTT = %v for silence", r.RTT)
	}
}

func TestSTUNTCPWrongAnswers(t *testing.T) {
	// A Binding success with an 8-byte attribute, and the same cut to a
	// 6-byte length that no STUN message has.
	success, err := stun.Build(stun.TransactionID, stun.BindingSuccess, stun.NewSoftware("ab"))
	if err != nil {
		t.Fatal(err)
	}
	badLength := slices.Clone(success.Raw[:26])
	badLength[3] = 6
	tests := []struct {
		name    string
		port    func(testing.TB) uint16
		status  Status
		cause   string
		timeout time.Duration
	}{
		{"banner is not STUN", func(t testing.TB) uint16 { return testnet.TCPBanner(t, []byte("SSH-2.0-OpenSSH_9.6\r\n")) },
			StatusError, "not a STUN response", 5 * time.Second},
		{"length not a multiple of 4", func(t testing.TB) uint16 { return testnet.TCPBanner(t, badLength) },
			StatusError, "malformed STUN response", 5 * time.Second},
		{"header without its body", func(t testing.TB) uint16 { return testnet.TCPBanner(t, success.Raw[:20]) },
			StatusError, "connected, but no STUN answer within attempt_timeout", 150 * time.Millisecond},
		{"hang-up without answer", testnet.TCPListener, StatusError, "connection closed without a STUN response", 5 * time.Second},
		{"silence after connect", func(t testing.TB) uint16 { return testnet.TCPBanner(t, nil) },
			StatusError, "connected, but no STUN answer within attempt_timeout", 150 * time.Millisecond},
		{"connect never completes", testnet.UnansweredTCP, StatusFiltered, "no answer before the deadline", 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := STUN(within(t, tt.timeout), target("127.0.0.1", tt.port(t)), STUNOptions{Transport: "tcp"})
			wantStatus(t, r, tt.status)
			if r.Cause != tt.cause {
				t.Errorf("Cause = %q, want %q", r.Cause, tt.cause)
			}
		})
	}
}

func TestSTUNUnknownTransport(t *testing.T) {
	r := STUN(within(t, time.Second), target("127.0.0.1", 3478), STUNOptions{Transport: "sctp"})
	wantStatus(t, r, StatusError)
}
