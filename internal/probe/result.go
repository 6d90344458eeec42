// Package probe holds one plain function per protocol. Each takes a context,
// a Target and that protocol's options, and returns a Result whose Status says
// what the network answered. Probes never log and keep no package state.
package probe

import (
	"net"
	"net/netip"
	"strconv"
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
}

// Address returns "ip:port" (IPv6 in brackets), the string that is dialed.
func (t Target) Address() string {
	return net.JoinHostPort(t.IP.String(), strconv.Itoa(int(t.Port)))
}

// Result is what one probe attempt learned.
type Result struct {
	Protocol  string // "tcp", "stun", "turn", "tls", "http", "https"
	Transport string // "tcp", "udp", or "tls" for STUN and TURN over TLS
	Host      string // the name the user wrote
	Address   string // the ip:port dialed
	Status    Status
	// Cause is a short human explanation of a non-open status, such as
	// "connection refused" or "no STUN response"; empty when open.
	Cause string
	// Err is the underlying error, wrapped so errors.Is works (e.g. with
	// syscall.ECONNREFUSED or context.Canceled). Nil when open.
	Err error
	// RTT is the time from dial start to the first valid answer.
	RTT time.Duration
	// MappedAddress is the STUN (XOR-)MAPPED-ADDRESS: how the server saw us.
	MappedAddress string
	// Detail is protocol information worth showing even when open: the TLS
	// version and certificate expiry, the HTTP status line, a STUN error code.
	Detail string
}
