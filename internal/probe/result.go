// Package probe holds one plain function per protocol. Each takes a context,
// a Target and that protocol's options, and returns a Result whose Status says
// what the network answered. Probes never log and keep no package state.
package probe

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Status is what a probe learned about a port. The zero value means no
// verdict: the caller cancelled the probe before the network answered.
type Status uint8

// The status vocabulary. String values are stable: they are stored in
// Terraform state.
const (
	StatusNone     Status = iota // no verdict (cancelled)
	StatusOpen                   // the protocol exchange succeeded
	StatusClosed                 // refused, or ICMP unreachable
	StatusFiltered               // silence until the deadline, not even a TCP connect
	StatusError                  // it answered wrongly, or connected and stayed mute
)

// String returns the lowercase name stored in state.
func (s Status) String() string {
	switch s {
	case StatusOpen:
		return "open"
	case StatusClosed:
		return "closed"
	case StatusFiltered:
		return "filtered"
	case StatusError:
		return "error"
	default:
		return "none"
	}
}

// Severity orders statuses for "worst seen" summaries of port ranges:
// open < error < closed < filtered. StatusNone ranks lowest.
func (s Status) Severity() int {
	switch s {
	case StatusOpen:
		return 1
	case StatusError:
		return 2
	case StatusClosed:
		return 3
	case StatusFiltered:
		return 4
	default:
		return 0
	}
}

// Target is one address to probe. Host is the name the user wrote, kept for
// TLS SNI and the HTTP Host header; IP is the resolved address actually dialed.
type Target struct {
	Host string
	IP   netip.Addr
	Port uint16
	// Control, if set, is the net.Dialer Control of every socket the probe
	// opens (TCP and UDP, to the target or to a TURN relay): an error
	// refuses the connection before a packet is sent. A remote agent uses it
	// to enforce its allowlist at dial time.
	Control func(network, address string, c syscall.RawConn) error
}

// dialer returns a net.Dialer that applies t.Control. KeepAlive -1: probe
// conns are short-lived, so skip the setsockopt calls.
func (t Target) dialer() net.Dialer {
	return net.Dialer{KeepAlive: -1, Control: t.Control}
}

// Address returns "ip:port" (IPv6 in brackets), the string that is dialed.
func (t Target) Address() string {
	return net.JoinHostPort(t.IP.String(), strconv.Itoa(int(t.Port)))
}

// Result is what one probe attempt learned. It is plain data, so it can
// cross a wire (see the JSON round trip test): the underlying error is kept
// as its text.
type Result struct {
	Protocol  string `json:"protocol"`  // "tcp", "stun", "tls", "http", "https", "sip", "rtsp", "rtsps", "rtmp", "rtmps", "srt", "turn"
	Transport string `json:"transport"` // "tcp", "udp", or "tls" for SIP, STUN and TURN over TLS
	Host      string `json:"host"`      // the name the user wrote
	Address   string `json:"address"`   // the ip:port dialed
	Status    Status `json:"status"`
	// Code is a stable cause code for a non-open status, such as
	// CodeRefused; empty when open. Messages and hints key off it.
	Code Code `json:"code,omitempty"`
	// Cause is a short human explanation of a non-open status, such as
	// "connection refused" or "no STUN response"; empty when open.
	Cause string `json:"cause,omitempty"`
	// Error is the underlying error's text, naming the address probed;
	// empty when open.
	Error string `json:"error,omitempty"`
	// RTT is the time from dial start to the first valid answer.
	RTT time.Duration `json:"rtt_ns,omitempty"`
	// MappedAddress is the STUN (XOR-)MAPPED-ADDRESS: how the server saw us.
	MappedAddress string `json:"mapped_address,omitempty"`
	// Detail is protocol information worth showing even when open: the TLS
	// version and certificate expiry, the HTTP, SIP or RTSP status line, a
	// STUN error code.
	Detail string `json:"detail,omitempty"`
}

// Code is a stable cause code: what messages and hints key off, never
// parsed from prose.
type Code string

// The cause codes.
const (
	CodeCancelled        Code = "cancelled"         // the caller cancelled: no verdict
	CodeRefused          Code = "refused"           // connection refused or ICMP port unreachable
	CodeUnreachable      Code = "unreachable"       // no route to host, network unreachable
	CodeNoAnswer         Code = "no_answer"         // silence until the deadline
	CodeMute             Code = "connected_mute"    // TCP connected, then silence
	CodeReset            Code = "reset"             // connected, then reset or closed
	CodeLookupFailed     Code = "lookup_failed"     // the name did not resolve
	CodeWrongAnswer      Code = "wrong_answer"      // an answer, but not the protocol's
	CodeCertificate      Code = "certificate"       // the certificate did not verify or expires too soon
	CodeClientCert       Code = "client_cert"       // the server requires a client certificate
	CodeUnexpectedStatus Code = "unexpected_status" // a protocol status other than the expected one
	CodeUnauthorized     Code = "unauthorized"      // the server refused the credentials
	CodeOpenRelay        Code = "open_relay"        // a TURN server relays to private or metadata peers
	CodeOther            Code = "other"             // an error with no better code
)

// MarshalText writes the status as its name, as state stores it.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a status name; an unknown one is an error.
func (s *Status) UnmarshalText(b []byte) error {
	for st := StatusNone; st <= StatusError; st++ {
		if st.String() == string(b) {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}
