package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
)

// SRTOptions configures SRT.
type SRTOptions struct {
	// RTO is the time between induction requests: the same request is sent
	// again every RTO until an answer or the deadline. Defaults to 250ms, the
	// interval at which libsrt callers resend their handshake.
	RTO time.Duration
}

const (
	defaultSRTRTO = 250 * time.Millisecond
	// srtBufSize holds any handshake a listener sends in one datagram.
	srtBufSize = 1500
	// srtMaxIgnored bounds the datagrams from other addresses that are
	// skipped before giving up; a connected socket should see none.
	srtMaxIgnored = 16
)

// SRT runs the caller's side of the SRT induction handshake with t
// (draft-sharabayko-srt-01 section 4.3.1.1): it sends an induction request
// (version 4, UDT_DGRAM, a random socket ID and initial sequence number,
// SYN cookie 0) and reports open on the listener's induction response: an
// INDUCTION handshake addressed to our socket ID, version 5 with the SRT
// magic 0x4A17, and a non-zero SYN cookie. The conclusion phase is never
// sent, so the listener creates no connection and no stream; it keeps no
// state for an induction either, the cookie is all it sends.
//
// The socket is connected, so an ICMP port unreachable surfaces as
// ECONNREFUSED and reads closed, and only datagrams from t's address count.
// The request is resent every RTO; silence until ctx's deadline is
// filtered. An answer that is not an SRT handshake, or a handshake that is
// not a valid induction response for us, is an error.
func SRT(ctx context.Context, t Target, o SRTOptions) Result {
	r := newResult("srt", "udp", t)
	dctx, cancel := withDeadline(ctx)
	defer cancel()
	deadline, _ := dctx.Deadline()
	rto := o.RTO
	if rto <= 0 {
		rto = defaultSRTRTO
	}

	d := net.Dialer{Control: t.Control}
	start := time.Now()
	c, err := d.DialContext(dctx, "udp", r.Address)
	if err != nil {
		return r.fail(ctx, start, err)
	}
	defer c.Close()
	conn, ok := c.(*net.UDPConn)
	if !ok {
		return r.wrong(start, "not a UDP socket", fmt.Errorf("dial udp returned %T", c))
	}
	// Closing on cancel unblocks Read at once; the deadline covers expiry.
	stop := context.AfterFunc(dctx, func() { _ = conn.Close() })
	defer stop()
	_ = conn.SetDeadline(deadline)

	req := newSRTInduction(t.IP)
	s := srtExchange{r: &r, parent: ctx, ctx: dctx, conn: conn, from: netip.AddrPortFrom(t.IP.Unmap(), t.Port),
		start: start, deadline: deadline}
	return s.run(req, rto)
}

// srtExchange is one probe's state.
type srtExchange struct {
	r        *Result
	parent   context.Context // the caller's, for Classify
	ctx      context.Context // with the safety deadline
	conn     *net.UDPConn
	from     netip.AddrPort // t's address: only its datagrams count
	start    time.Time
	deadline time.Time
	sent     int
}

func (s *srtExchange) run(req srtHandshake, rto time.Duration) Result {
	raw := req.marshal()
	buf := make([]byte, srtBufSize)
	var resend time.Time
	// Every round sends, times out (once per send, or at the deadline) or
	// reads a datagram that ends the probe or is one of srtMaxIgnored.
	rounds := 2*max(int(time.Until(s.deadline)/rto), 0) + 4 + srtMaxIgnored
	ignored := 0
	for range rounds {
		if now := time.Now(); !now.Before(resend) {
			// The same bytes every time: a late answer to an earlier copy is
			// just as good.
			if _, err := s.conn.Write(raw); err != nil {
				return s.fail(err)
			}
			s.sent++
			resend = now.Add(rto)
		}
		_ = s.conn.SetReadDeadline(earliest(resend, s.deadline))
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if isTimeout(err) && time.Now().Before(s.deadline) {
				continue // time to resend
			}
			return s.fail(err)
		}
		// The kernel delivers only the connected peer's datagrams; check
		// anyway, since a reply from elsewhere proves nothing about t.
		if netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) != s.from {
			if ignored++; ignored > srtMaxIgnored {
				break
			}
			continue
		}
		res, err := parseSRTHandshake(buf[:n])
		if err == nil {
			err = checkSRTInduction(req, res)
		}
		if err != nil {
			return s.r.wrong(s.start, err.Error(), err)
		}
		s.r.Detail = srtDetail(res)
		return s.r.open(s.start)
	}
	// Out of rounds: only datagrams from elsewhere arrived. No answer.
	return s.fail(fmt.Errorf("%w: only datagrams from other addresses than %s", os.ErrDeadlineExceeded, s.from))
}

func (s *srtExchange) fail(err error) Result {
	r := s.r
	r.fail(s.parent, s.start, closedBy(s.ctx, err))
	if r.Status == StatusFiltered && s.sent > 0 {
		r.Cause = fmt.Sprintf("no SRT response to %d induction %s", s.sent, plural(s.sent, "request"))
	}
	return *r
}
