package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func opErr(errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
}

func TestClassify(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	t.Cleanup(cancel2)

	tests := []struct {
		name   string
		ctx    context.Context
		err    error
		status Status
		cause  string
	}{
		{"nil is open", live, nil, StatusOpen, ""},
		{"refused", live, opErr(syscall.ECONNREFUSED), StatusClosed, "connection refused"},
		{"host unreachable", live, opErr(syscall.EHOSTUNREACH), StatusClosed, "no route to host"},
		{"net unreachable", live, opErr(syscall.ENETUNREACH), StatusClosed, "network unreachable"},
		{"net.Error timeout", live, &net.OpError{Op: "read", Err: timeoutErr{}}, StatusFiltered, "no answer before the deadline"},
		{"os deadline", live, fmt.Errorf("read: %w", os.ErrDeadlineExceeded), StatusFiltered, "no answer before the deadline"},
		{"ctx deadline", live, context.DeadlineExceeded, StatusFiltered, "no answer before the deadline"},
		{"dns", live, &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, StatusError, "lookup failed"},
		{"dns timeout is still dns", live, &net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}, StatusError, "lookup failed"},
		{"other", live, errors.New("tls: bad record MAC"), StatusError, "tls: bad record MAC"},
		{"reset", live, opErr(syscall.ECONNRESET), StatusError, "connection reset by peer"},
		{"closed by our deadline", expired, fmt.Errorf("read: %w", net.ErrClosed), StatusFiltered, "no answer before the deadline"},
		{"closed while live", live, net.ErrClosed, StatusError, net.ErrClosed.Error()},
		{"deadline parent still sees refused", expired, opErr(syscall.ECONNREFUSED), StatusClosed, "connection refused"},
		{"cancel wins over timeout", cancelled, timeoutErr{}, StatusNone, "cancelled"},
		{"cancel wins over refused", cancelled, opErr(syscall.ECONNREFUSED), StatusNone, "cancelled"},
		{"cancel wins over closed conn", cancelled, net.ErrClosed, StatusNone, "cancelled"},
		{"inner cancel", live, context.Canceled, StatusNone, "cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, cause := Classify(tt.ctx, tt.err)
			if status != tt.status || cause != tt.cause {
				t.Errorf("Classify(%v) = %s %q, want %s %q", tt.err, status, cause, tt.status, tt.cause)
			}
		})
	}
}

func TestStatusString(t *testing.T) {
	tests := []struct {
		s    Status
		want string
		sev  int
	}{
		{StatusNone, "none", 0},
		{StatusOpen, "open", 1},
		{StatusError, "error", 2},
		{StatusClosed, "closed", 3},
		{StatusFiltered, "filtered", 4},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.s.Severity(); got != tt.sev {
				t.Errorf("Severity() = %d, want %d", got, tt.sev)
			}
		})
	}
}

// target is a loopback Target whose Host is the IP, as a user would write it.
func target(ip string, port uint16) Target {
	return Target{Host: ip, IP: netip.MustParseAddr(ip), Port: port}
}

// within returns a context that ends after d, cancelled at cleanup.
func within(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// wantStatus fails unless r has status, and checks the invariants every
// Result keeps: Err is nil exactly when open, and non-open has a Cause.
func wantStatus(t *testing.T, r Result, status Status) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %s (%s: %v), want %s", r.Status, r.Cause, r.Error, status)
	}
	if (r.Error == "") != (status == StatusOpen) || (r.Code == "") != (status == StatusOpen) {
		t.Errorf("Error = %q, Code = %q with status %s", r.Error, r.Code, status)
	}
	if status != StatusOpen && r.Cause == "" {
		t.Errorf("no Cause for %s", status)
	}
	if r.Address == "" || r.Host == "" || r.Protocol == "" || r.Transport == "" {
		t.Errorf("incomplete result %+v", r)
	}
}

// Silence once the TCP connect completed is a mute service on an open path,
// an error; silence before it is filtered.
func TestSilenceAfterConnect(t *testing.T) {
	certPEM, keyPEM, pool := testnet.Cert(t)
	kp := testnet.KeyPair(t, certPEM, keyPEM)
	mute := func(tb testing.TB) uint16 { return testnet.TCPBanner(tb, nil) }
	// Completes the TLS handshake, then never answers the request.
	muteTLS := func(tb testing.TB) uint16 {
		return testnet.TLSServer(tb, &tls.Config{Certificates: []tls.Certificate{kp}})
	}
	tlsProbe := func(ctx context.Context, tg Target) Result { return TLS(ctx, tg, TLSOptions{RootCAs: pool}) }
	httpProbe := func(ctx context.Context, tg Target) Result { return HTTP(ctx, tg, HTTPOptions{}) }
	httpsProbe := func(ctx context.Context, tg Target) Result {
		return HTTP(ctx, tg, HTTPOptions{TLS: true, RootCAs: pool})
	}
	rtmpProbe := func(ctx context.Context, tg Target) Result { return RTMP(ctx, tg, RTMPOptions{}) }
	rtmpsProbe := func(ctx context.Context, tg Target) Result {
		return RTMP(ctx, tg, RTMPOptions{TLS: &TLSOptions{RootCAs: pool}})
	}
	tests := []struct {
		name   string
		port   func(testing.TB) uint16
		probe  func(context.Context, Target) Result
		d      time.Duration // long enough for a handshake on a loaded machine
		status Status
		cause  string
	}{
		{"tls mute", mute, tlsProbe, 200 * time.Millisecond, StatusError, "connected, but no TLS answer within attempt_timeout"},
		{"tls unanswered", testnet.UnansweredTCP, tlsProbe, 200 * time.Millisecond, StatusFiltered, "no answer before the deadline"},
		{"http mute", mute, httpProbe, 200 * time.Millisecond, StatusError, "connected, but no HTTP answer within attempt_timeout"},
		{"http unanswered", testnet.UnansweredTCP, httpProbe, 200 * time.Millisecond, StatusFiltered, "no answer before the deadline"},
		{"https mute", mute, httpsProbe, 200 * time.Millisecond, StatusError, "connected, but no TLS answer within attempt_timeout"},
		{"https mute after handshake", muteTLS, httpsProbe, 500 * time.Millisecond, StatusError, "connected, but no HTTP answer within attempt_timeout"},
		{"https unanswered", testnet.UnansweredTCP, httpsProbe, 200 * time.Millisecond, StatusFiltered, "no answer before the deadline"},
		{"rtmp mute", mute, rtmpProbe, 200 * time.Millisecond, StatusError, "connected, but no RTMP answer within attempt_timeout"},
		{"rtmp unanswered", testnet.UnansweredTCP, rtmpProbe, 200 * time.Millisecond, StatusFiltered, "no answer before the deadline"},
		{"rtmps mute", mute, rtmpsProbe, 200 * time.Millisecond, StatusError, "connected, but no TLS answer within attempt_timeout"},
		{"rtmps mute after handshake", muteTLS, rtmpsProbe, 500 * time.Millisecond, StatusError, "connected, but no RTMP answer within attempt_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tg := target("127.0.0.1", tt.port(t))
			r := tt.probe(within(t, tt.d), tg)
			wantStatus(t, r, tt.status)
			if r.Cause != tt.cause {
				t.Errorf("Cause = %q, want %q", r.Cause, tt.cause)
			}
			wantCode := CodeNoAnswer
			if tt.status == StatusError {
				wantCode = CodeMute
			}
			if r.Code != wantCode {
				t.Errorf("Code = %q (%s), want %q", r.Code, r.Error, wantCode)
			}
			if r.RTT != 0 {
				t.Errorf("RTT = %v for silence", r.RTT)
			}
		})
	}
}
