package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v3"
	"github.com/pion/transport/v4/stdnet"
	"github.com/pion/turn/v4"
)

// turnAttempt is one TURN probe's state. pion's client owns the protocol;
// the attempt owns the socket and reads it itself, so that it sees what
// pion does not report: a read error (ICMP refused, a hang-up), the first
// answer's time, and the server's answers to Binding and Allocate.
type turnAttempt struct {
	r         *Result
	parent    context.Context // the caller's, for Classify
	ctx       context.Context // with the safety deadline
	target    Target
	o         TURNOptions
	start     time.Time
	username  string
	password  string
	tls       progress // over TLS: how far the connection got
	tlsDetail string

	connected bool           // a stream's connect completed: silence is a mute service
	allocated bool           // Allocate succeeded: silence is a server that stopped answering
	conn      net.Conn       // the socket to the server
	pc        net.PacketConn // conn as pion sees it
	server    *net.UDPAddr
	client    *turn.Client
	expire    func()      // at ctx's end, once: see connect
	stop      func() bool // stops the AfterFunc that expires the attempt at ctx's end
	loopDone  chan struct{}

	mu       sync.Mutex
	st       turnSeen
	released chan struct{} // closed when the server answered our Refresh
}

// turnSeen is what the read loop learned from the server's messages.
type turnSeen struct {
	first           time.Time // the first STUN message from the server
	lost            error     // the read error that ended the loop
	bindingAnswered bool
	allocSuccess    bool
	allocError      *stun.ErrorCodeAttribute // the last Allocate error response
	mapped          string                   // XOR-MAPPED-ADDRESS, the Allocate's over the Binding's
	realm           string
	nonce           string
	software        string
}

// rtt is the time from start to the first answer.
func (s turnSeen) rtt(start time.Time) time.Duration {
	if s.first.IsZero() {
		return 0
	}
	return s.first.Sub(start)
}

// errNotTURN wraps bytes on a stream that frame neither STUN nor
// ChannelData.
var errNotTURN = errors.New("not a STUN or TURN message")

// connect dials the server, completes TLS if asked, and starts pion's
// client on the socket. It returns false when the probe is over.
func (a *turnAttempt) connect(transport string) bool {
	r := a.r
	var err error
	switch transport {
	case "udp":
		d := net.Dialer{Control: a.target.Control}
		if a.conn, err = d.DialContext(a.ctx, "udp", r.Address); err != nil {
			r.fail(a.parent, a.start, err)
			return false
		}
		//nolint:forcetypeassert // DialContext("udp") returns a *net.UDPConn
		a.pc = connectedPacketConn{a.conn.(*net.UDPConn)}
	case "tcp":
		if a.conn, err = a.tls.dialTCP(a.ctx, r.Address); err != nil {
			r.fail(a.parent, a.start, err)
			return false
		}
		a.connected, a.pc = true, turn.NewSTUNConn(a.conn)
	case "tls":
		o := a.o.TLS
		tc, err := a.tls.dialTLS(a.ctx, r.Address, tlsConfig(a.target, o.ServerName, o.RootCAs, o.Now, &a.tls))
		if err != nil {
			r.tlsFail(a.parent, a.start, err, o.Now, &a.tls)
			return false
		}
		if !r.judgeCert(tc.ConnectionState(), o, a.start) {
			_ = tc.Close()
			return false
		}
		a.conn, a.connected, a.tlsDetail = tc, true, r.Detail
		r.Detail = ""
		a.pc = turn.NewSTUNConn(tc)
	}
	deadline, _ := a.ctx.Deadline()
	_ = a.conn.SetDeadline(deadline)

	a.server = net.UDPAddrFromAddrPort(netip.AddrPortFrom(a.target.IP, a.target.Port))
	rto := a.o.RTO
	if rto <= 0 {
		rto = defaultRTO
	}
	if transport != "udp" {
		// pion retransmits on every transport; a stream must not.
		rto = time.Until(deadline) + time.Second
	}
	client, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: a.server.String(),
		Username:       a.username,
		Password:       a.password,
		RTO:            rto,
		Conn:           a.pc,
		Net:            fixedResolver{Net: &stdnet.Net{}, addr: a.server},
		LoggerFactory:  &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled},
	})
	if err != nil {
		_ = a.conn.Close()
		r.wrong(a.start, "cannot start the TURN client", err)
		return false
	}
	a.client, a.loopDone, a.released = client, make(chan struct{}), make(chan struct{})
	// expire runs when ctx ends. It ends the read loop and every
	// transaction pion waits on, and fails new writes at once, but keeps
	// the socket open so that release can still send its Refresh.
	a.expire = sync.OnceFunc(func() {
		_ = a.conn.SetDeadline(aLongTimeAgo)
		a.client.Close()
	})
	a.stop = context.AfterFunc(a.ctx, a.expire)
	go a.readLoop()
	return true
}

// aLongTimeAgo is a deadline that has passed.
var aLongTimeAgo = time.Unix(1, 0)

// shut closes the socket and the client's transactions. Idempotent.
func (a *turnAttempt) shut() {
	_ = a.conn.Close()
	a.client.Close()
}

// close ends the attempt: every socket is closed and the read loop has
// returned.
func (a *turnAttempt) close() {
	a.stop()
	a.shut()
	<-a.loopDone
}

// sendBinding sends a Binding request that pion retransmits but nobody
// waits for: the read loop notes the answer.
func (a *turnAttempt) sendBinding() error {
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		return err
	}
	_, err = a.client.PerformTransaction(req, a.server, true)
	return err
}

// release frees the allocation: pion's relay Close sends a Refresh with
// lifetime 0 (the client's own Close does not) without waiting for the
// answer, so wait here for the read loop to see it, within the attempt.
// After ctx's end the Refresh still goes out, once, unanswered: an
// attempt cut short by its deadline frees its allocation too.
func (a *turnAttempt) release(relay net.PacketConn) {
	late := !a.stop()
	if late {
		a.expire() // let it finish before lifting its write deadline
	}
	// The socket's deadline is ctx's, which may have passed already.
	deadline, _ := a.ctx.Deadline()
	if soon := time.Now().Add(turnLateRelease); soon.After(deadline) {
		deadline = soon
	}
	_ = a.conn.SetWriteDeadline(deadline)
	_ = relay.Close()
	if late {
		return
	}
	t := time.NewTimer(turnReleaseWait)
	defer t.Stop()
	select {
	case <-a.released:
	case <-a.ctx.Done():
	case <-t.C:
	}
}

func (a *turnAttempt) readLoop() {
	defer close(a.loopDone)
	buf := make([]byte, 1<<16)
	for {
		n, from, err := a.pc.ReadFrom(buf)
		if err != nil {
			if framing(err) {
				err = fmt.Errorf("%w: %w", errNotTURN, err)
			}
			a.mu.Lock()
			a.st.lost = err
			a.mu.Unlock()
			if broke(err) {
				a.shut() // new writes fail at once
			} else {
				a.client.Close() // the deadline: keep the socket for release
			}
			return
		}
		a.sniff(buf[:n])
		// Errors here are messages pion could not use: keep reading.
		_, _ = a.client.HandleInbound(buf[:n], from)
	}
}

// sniff notes what a message from the server says before pion handles it.
func (a *turnAttempt) sniff(b []byte) {
	if !stun.IsMessage(b) {
		return
	}
	m := &stun.Message{Raw: b}
	if m.Decode() != nil || m.Type.Class == stun.ClassRequest || m.Type.Class == stun.ClassIndication {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st := &a.st
	if st.first.IsZero() {
		st.first = time.Now()
	}
	var (
		nonce stun.Nonce
		realm stun.Realm
		sw    stun.Software
		xa    stun.XORMappedAddress
		code  stun.ErrorCodeAttribute
	)
	if nonce.GetFrom(m) == nil {
		st.nonce = string(nonce) // a copy: b is reused
	}
	if realm.GetFrom(m) == nil {
		st.realm = string(realm)
	}
	if sw.GetFrom(m) == nil {
		st.software = printable(sw)
	}
	success := m.Type.Class == stun.ClassSuccessResponse
	switch m.Type.Method {
	case stun.MethodBinding:
		st.bindingAnswered = true
		if success && st.mapped == "" && xa.GetFrom(m) == nil {
			st.mapped = xa.String()
		}
	case stun.MethodAllocate:
		if success {
			st.allocSuccess = true
			if xa.GetFrom(m) == nil {
				st.mapped = xa.String()
			}
		} else if code.GetFrom(m) == nil && code.Code != stun.CodeUnauthorized && code.Code != stun.CodeStaleNonce {
			code.Reason = []byte(string(code.Reason))
			st.allocError = &code
		}
	case stun.MethodRefresh:
		select {
		case <-a.released:
		default:
			close(a.released)
		}
	}
}

// seen returns a copy of what the read loop learned so far.
func (a *turnAttempt) seen() turnSeen {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.st
}

// framing reports an error of pion's STUNConn about the bytes on a stream,
// rather than about the socket: socket errors are *net.OpError, EOF or
// deadlines.
func framing(err error) bool {
	_, op := errors.AsType[*net.OpError](err)
	return !op && !hungUp(err) && !isTimeout(err) && !errors.Is(err, net.ErrClosed)
}

// connectedPacketConn lets pion's client, which writes with WriteTo, use a
// connected UDP socket, on which an ICMP port unreachable surfaces as
// ECONNREFUSED. Every datagram goes to the server the socket is connected
// to, which is the only address pion writes to.
type connectedPacketConn struct{ *net.UDPConn }

func (c connectedPacketConn) WriteTo(b []byte, _ net.Addr) (int, error) { return c.Write(b) }

func (c connectedPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := c.Read(b)
	return n, c.RemoteAddr(), err
}

// fixedResolver is the transport.Net pion's client gets. The client only
// resolves the server's address, which the probe already resolved; its
// default would resolve "udp4" only, failing IPv6 targets, and list the
// host's interfaces first. A UDP allocation uses nothing else of it.
type fixedResolver struct {
	*stdnet.Net
	addr *net.UDPAddr
}

func (f fixedResolver) ResolveUDPAddr(string, string) (*net.UDPAddr, error) { return f.addr, nil }
