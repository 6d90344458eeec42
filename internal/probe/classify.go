package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// defaultTimeout bounds a probe whose caller passed a context without a
// deadline, so that a forgotten deadline can never hang an apply.
const defaultTimeout = 5 * time.Second

// Classify is the single mapping from a probe error to a Status and a short
// human cause. ctx is the context the caller gave the probe: when it was
// cancelled the answer is StatusNone, because a user's cancel says nothing
// about the port and must never read as "filtered".
func Classify(ctx context.Context, err error) (Status, string) {
	st, _, cause := classify(ctx, err)
	return st, cause
}

// classify is Classify with the cause code.
func classify(ctx context.Context, err error) (Status, Code, string) {
	if err == nil {
		return StatusOpen, "", ""
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return StatusNone, CodeCancelled, "cancelled"
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return StatusClosed, CodeRefused, "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return StatusClosed, CodeUnreachable, "no route to host"
	case errors.Is(err, syscall.ENETUNREACH):
		return StatusClosed, CodeUnreachable, "network unreachable"
	case errors.Is(err, syscall.ECONNRESET):
		// After the handshake: something listens but hung up on us.
		return StatusError, CodeReset, "connection reset by peer"
	}
	// Before the timeout check: a *net.DNSError reports Timeout() too, but a
	// failed lookup says nothing about the port.
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return StatusError, CodeLookupFailed, "lookup failed"
	}
	if isTimeout(err) {
		return StatusFiltered, CodeNoAnswer, "no answer before the deadline"
	}
	// The probes close their conn when ctx ends so that a blocked Read
	// returns at once; if the deadline closed it, that is still silence.
	if errors.Is(err, net.ErrClosed) && ctx.Err() != nil {
		return StatusFiltered, CodeNoAnswer, "no answer before the deadline"
	}
	if errors.Is(err, context.Canceled) {
		return StatusNone, CodeCancelled, "cancelled"
	}
	return StatusError, CodeOther, err.Error()
}

// hungUp reports a peer that accepted and then closed or reset the
// connection instead of answering: a different service, not a closed port.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// withDeadline applies the safety deadline when ctx has none.
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, defaultTimeout)
}

// newResult starts a Result for t.
func newResult(protocol, transport string, t Target) Result {
	host := t.Host
	if host == "" {
		host = t.IP.String()
	}
	return Result{Protocol: protocol, Transport: transport, Host: host, Address: t.Address()}
}

// fail fills r from err through Classify. parent is the caller's ctx. start
// is when the dial began: RTT is kept only when the network answered, since
// the time until a deadline is not a round trip.
func (r *Result) fail(parent context.Context, start time.Time, err error) Result {
	r.Status, r.Code, r.Cause = classify(parent, err)
	if r.Status == StatusClosed || r.Status == StatusError {
		r.RTT = time.Since(start)
	}
	if hungUp(err) && r.Status == StatusError {
		r.Code = CodeReset
	}
	r.Error = r.withAddress(err).Error()
	return *r
}

// withAddress makes sure Err names what was probed. A *net.OpError already
// says "dial tcp 192.0.2.1:3478"; a bare io.EOF from a handshake does not.
func (r *Result) withAddress(err error) error {
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return err
	}
	return fmt.Errorf("%s/%s %s: %w", r.Protocol, r.Transport, r.Address, err)
}

// mute turns silence after a completed TCP connect into an error: the path
// is open and the service is mute, so firewall advice would mislead. what
// names the protocol that stayed silent. It reports whether it applied.
func (r *Result) mute(connected bool, what string) bool {
	if !connected || r.Status != StatusFiltered {
		return false
	}
	r.Status, r.Code, r.Cause = StatusError, CodeMute, CauseMutePrefix+what+" answer within attempt_timeout"
	return true
}

// CauseMutePrefix starts the cause of silence after a completed TCP connect.
const CauseMutePrefix = "connected, but no "

// wrong records an answer that is not what the protocol expects.
func (r *Result) wrong(start time.Time, cause string, err error) Result {
	r.Status, r.Code, r.Cause, r.Error = StatusError, CodeWrongAnswer, cause, r.withAddress(err).Error()
	r.RTT = time.Since(start)
	return *r
}

// open records a valid answer.
func (r *Result) open(start time.Time) Result {
	r.Status, r.Code, r.Cause, r.Error = StatusOpen, "", "", ""
	r.RTT = time.Since(start)
	return *r
}
