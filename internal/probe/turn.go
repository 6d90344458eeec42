package probe

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 is what the TURN REST API and coturn's use-auth-secret specify
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pion/stun/v3"
)

// TURNOptions configures TURN.
type TURNOptions struct {
	// Transport is "udp", "tcp" or "tls" (TURN over TLS, as served on 5349
	// or 443). Defaults to "udp". The relay is a UDP relay on every
	// transport.
	Transport string
	// Username and Password are long-term credentials (RFC 8489 section
	// 9.2). With SharedSecret, Username is the user part of the derived
	// username and Password is unused.
	Username string
	Password string
	// SharedSecret, when set, derives time-limited credentials as coturn's
	// use-auth-secret (the TURN REST API) expects: see TURNRESTCredentials.
	// Defaults to empty: Username and Password are used as they are.
	SharedSecret string
	// CredentialTTL is how long credentials derived from SharedSecret stay
	// valid. Defaults to 1h.
	CredentialTTL time.Duration
	// Realm, when set, is the realm the server must announce: one that
	// announces another is an error, since long-term credentials belong to
	// a realm. Defaults to empty: the server's realm is used.
	Realm string
	// RelayCheck, when set, also proves that media flows: the probe opens a
	// second UDP socket, gives it a permission on the allocation, and sends
	// a datagram from it to the relayed address and back through the
	// server. Defaults to false.
	RelayCheck bool
	// DenyPrivatePeers, when set, makes it an error when the server grants
	// a permission toward any loopback, unspecified, RFC 1918, CGNAT,
	// link-local, cloud metadata or multicast peer of the allocation's
	// address family (see privatePeers). Only CreatePermission requests
	// are sent; no datagram ever goes to those peers. Defaults to false.
	DenyPrivatePeers bool
	// RTO is the first UDP retransmission timeout, doubling up to 1.6s, as
	// for STUN. Defaults to 100ms. Streams (tcp, tls) get no retransmission.
	RTO time.Duration
	// TLS verifies the server's certificate when Transport is "tls", as the
	// tls probe does; it is ignored otherwise.
	TLS TLSOptions
	// Now is the clock for the expiry of credentials derived from
	// SharedSecret. Defaults to time.Now.
	Now func() time.Time
}

// TURNMinInterval is the least time between the starts of two TURN
// attempts on one address and port of a check, whatever interval the check
// asks for; the engine applies it (check.Check.MinInterval). Servers cap allocations per user and in total
// (coturn's user-quota and total-quota, answered with 486 Allocation Quota
// Reached), and a check usually shares its credentials with real clients.
// Every attempt takes an allocation and releases it before it returns, but
// the quota lags: coturn 4.6.1 counts a released UDP allocation for about
// a second more (until it closes the session), attempts that overlap hold
// one each, and an attempt cut short by its deadline sends its release
// unanswered: if that datagram is lost, the allocation stays until its
// lifetime ends (10 minutes by default). One start per 5s per server keeps
// a check's share of a quota to about one allocation.
const TURNMinInterval = 5 * time.Second

// Causes of a TURN result, or their stable beginnings.
const (
	// CauseTURNUnauthorized starts the cause when the server refuses the
	// credentials.
	CauseTURNUnauthorized = "401 Unauthorized"
	// CauseSTUNOnly is the cause when the server answers a STUN Binding
	// request but not a TURN Allocate: a plain STUN server, or a TURN
	// server with TURN turned off.
	CauseSTUNOnly = "answers STUN Binding but not TURN Allocate: a STUN-only server"
	// CauseTURNNoAuth is the cause when the server allocates a relay
	// without asking for credentials.
	CauseTURNNoAuth = "the server allocated a relay without asking for credentials: anyone can use it (coturn: lt-cred-mech or use-auth-secret)"
	// CauseTURNRefusedPrefix starts the cause of any other Allocate error
	// response, such as 486 Allocation Quota Reached.
	CauseTURNRefusedPrefix = "Allocate refused: "
	// CauseTURNStopped is the cause when the server allocated a relay and
	// then left a request unanswered until the deadline.
	CauseTURNStopped = "the server allocated a relay, then stopped answering within attempt_timeout"
)

const (
	defaultCredentialTTL = time.Hour
	// maxStaleNonce bounds the tries of one request that the server keeps
	// answering with 438 Stale Nonce, each with the nonce it sent.
	maxStaleNonce = 3
	// turnReleaseWait bounds the wait for the answer to the release
	// (Refresh with lifetime 0) of a successful attempt.
	turnReleaseWait = time.Second
	// turnLateRelease bounds the write of the release of an attempt whose
	// ctx already ended.
	turnLateRelease = 100 * time.Millisecond
)

// TURNRESTCredentials derives the time-limited credentials of the TURN REST
// API (draft-uberti-behave-turn-rest), which coturn checks with
// use-auth-secret and static-auth-secret: the username is the expiry,
// now + ttl in Unix seconds, then ":" and user (only the expiry when user
// is empty), and the password is the base64 HMAC-SHA1 of the username
// keyed with the shared secret.
func TURNRESTCredentials(secret, user string, ttl time.Duration, now time.Time) (username, password string) {
	username = strconv.FormatInt(now.Add(ttl).Unix(), 10)
	if user != "" {
		username += ":" + user
	}
	mac := hmac.New(sha1.New, []byte(secret))
	_, _ = mac.Write([]byte(username)) // a hash.Hash never fails to write
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// TURN allocates a relay on t with pion/turn's client and reports open when
// the Allocate succeeds: Detail names the relayed address, MappedAddress is
// the XOR-MAPPED-ADDRESS the server saw us from. With RelayCheck and
// DenyPrivatePeers the allocation is then put to work as they describe.
// Every attempt releases its allocation (a Refresh with lifetime 0) and
// closes its sockets before it returns.
//
// A Binding request goes out next to the Allocate, so that a server that
// answers STUN but not TURN is an error, not silence. Over UDP the socket
// is connected, so an ICMP port unreachable reads closed. Refused
// credentials are an error whose cause starts with CauseTURNUnauthorized;
// a 438 Stale Nonce is retried with the new nonce. Silence until ctx's
// deadline is filtered, except over TCP and TLS once the connect completed:
// a mute service on an open path is an error.
func TURN(ctx context.Context, t Target, o TURNOptions) Result {
	transport := o.Transport
	if transport == "" {
		transport = "udp"
	}
	r := newResult("turn", transport, t)
	if transport != "udp" && transport != "tcp" && transport != "tls" {
		r.Status, r.Code, r.Cause = StatusError, CodeOther, "unknown transport"
		r.Error = fmt.Sprintf("turn: unknown transport %q, want udp, tcp or tls", transport)
		return r
	}
	dctx, cancel := withDeadline(ctx)
	defer cancel()

	a := &turnAttempt{r: &r, parent: ctx, ctx: dctx, target: t, o: o, start: time.Now(), tls: progress{control: t.Control}}
	a.username, a.password = o.Username, o.Password
	if o.SharedSecret != "" {
		ttl := o.CredentialTTL
		if ttl <= 0 {
			ttl = defaultCredentialTTL
		}
		a.username, a.password = TURNRESTCredentials(o.SharedSecret, o.Username, ttl, clock(o.Now)())
	}
	if !a.connect(transport) {
		return r
	}
	defer a.close()
	if err := a.sendBinding(); err != nil {
		return a.fail(err)
	}
	relay, err := a.allocate()
	if err != nil {
		return a.allocateFailed(err)
	}
	defer a.release(relay)
	a.allocated = true

	st := a.seen()
	r.MappedAddress = st.mapped
	r.Detail = "relay allocated at " + relay.LocalAddr().String()
	if st.software != "" {
		r.Detail += " (software: " + st.software + ")"
	}
	if a.tlsDetail != "" {
		r.Detail += "; " + a.tlsDetail
	}
	if o.Realm != "" && st.realm != o.Realm {
		err := fmt.Errorf("turn: realm %q, want %q", st.realm, o.Realm)
		return a.wrong(fmt.Sprintf("the server's realm is %q, not the configured %q", st.realm, o.Realm), err)
	}
	if o.RelayCheck {
		if res, done := a.relayCheck(relay); done {
			return res
		}
		r.Detail += "; relay round trip passed"
	}
	if o.DenyPrivatePeers {
		if res, done := a.denyPrivatePeers(relay); done {
			return res
		}
	}
	r.open(a.start)
	r.RTT = st.rtt(a.start)
	return r
}

// allocate runs pion's Allocate, again after a 438 Stale Nonce: pion does
// not retry that one itself.
func (a *turnAttempt) allocate() (relay net.PacketConn, err error) {
	for range maxStaleNonce {
		relay, err = a.client.Allocate()
		if err == nil {
			return relay, nil
		}
		if te, ok := turnError(err); !ok || te.ErrorCodeAttr.Code != stun.CodeStaleNonce {
			return nil, err
		}
	}
	return nil, err
}

// allocateFailed judges a failed Allocate from the error pion returned and
// what the server sent.
func (a *turnAttempt) allocateFailed(err error) Result {
	st := a.seen()
	if te, ok := turnError(err); ok {
		code := te.ErrorCodeAttr
		if code.Code == stun.CodeUnauthorized {
			cause := fmt.Sprintf("%s: the server refused the credentials (username %q, realm %q)", CauseTURNUnauthorized, a.username, st.realm)
			if a.o.Realm != "" && st.realm != a.o.Realm {
				cause += fmt.Sprintf("; the configured realm is %q", a.o.Realm)
			}
			a.wrong(cause, err)
			a.r.Code = CodeUnauthorized
			return *a.r
		}
		cause := CauseTURNRefusedPrefix + codeText(code)
		if code.Code == stun.CodeBadRequest {
			// RFC 8656 wants 401, but pion/turn-based servers answer
			// refused credentials with 400.
			cause += fmt.Sprintf(" (pion/turn-based servers answer so when they refuse the credentials: username %q, realm %q)", a.username, st.realm)
		}
		return a.wrong(cause, err)
	}
	switch {
	case st.allocSuccess:
		// pion's first Allocate carries no credentials and expects a 401;
		// a success is a relay for anyone.
		return a.wrong(CauseTURNNoAuth, err)
	case st.allocError != nil && st.bindingAnswered:
		return a.wrong(CauseSTUNOnly+" (Allocate: "+codeText(*st.allocError)+")", err)
	case st.allocError != nil:
		return a.wrong(CauseTURNRefusedPrefix+codeText(*st.allocError), err)
	case st.bindingAnswered:
		return a.wrong(CauseSTUNOnly, err)
	}
	// The socket broke (see fail), or a write failed: refused (ICMP on a
	// connected UDP socket), a broken pipe, or our own close at the
	// deadline or cancel.
	if _, ok := errors.AsType[*net.OpError](err); ok || broke(st.lost) {
		return a.fail(err)
	}
	return a.fail(a.unanswered(err))
}

// unanswered explains an error of a pion transaction that got no answer:
// our close at the deadline or cancel, or pion giving up after its last
// retransmission even before the deadline, which is silence too. A write
// error stays as it is.
func (a *turnAttempt) unanswered(err error) error {
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return closedBy(a.ctx, err)
	}
	why := a.ctx.Err()
	if why == nil {
		why = os.ErrDeadlineExceeded
	}
	return fmt.Errorf("%w: %w", why, err)
}

// fail classifies a transport failure, with the attempt's mute rule. When
// the read loop ended on a broken socket, that is the cause, whatever
// error the request in flight got from it.
func (a *turnAttempt) fail(err error) Result {
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "write" && a.connected {
		// A stream that broke under a write breaks the read too, with the
		// better reason (EOF, the server's TLS alert): wait for it.
		select {
		case <-a.loopDone:
		case <-a.ctx.Done():
		}
	}
	if lost := a.seen().lost; broke(lost) {
		err = lost
	}
	r := a.r
	r.fail(a.parent, a.start, closedBy(a.ctx, err))
	if a.allocated && r.Status == StatusFiltered {
		r.Status, r.Code, r.Cause = StatusError, CodeWrongAnswer, CauseTURNStopped
	}
	r.mute(a.connected, "TURN")
	if r.Status == StatusError {
		// Streams: a hang-up or bytes that are not STUN.
		switch {
		case a.tls.certRequested.Load() && certRefused(err):
			// TLS 1.3: the refusal comes after our handshake ended.
			r.Code, r.Cause = CodeClientCert, CauseClientCert
		case errors.Is(err, errNotTURN):
			r.Code, r.Cause = CodeWrongAnswer, "not a TURN response"
		case hungUp(err) || errors.Is(err, syscall.EPIPE):
			r.Cause = "connection closed without a TURN answer"
		}
	}
	return *r
}

// broke reports a read error that is not our own close or a deadline:
// refused, a hang-up, or bytes that are not STUN.
func broke(lost error) bool {
	return lost != nil && !isTimeout(lost) && !errors.Is(lost, net.ErrClosed)
}

func (a *turnAttempt) wrong(cause string, err error) Result {
	return a.r.wrong(a.start, cause, err)
}

func turnError(err error) (stun.TurnError, bool) {
	if te, ok := errors.AsType[*stun.TurnError](err); ok {
		return *te, true
	}
	return errors.AsType[stun.TurnError](err)
}

// codeText prints an ERROR-CODE as "486 Allocation Quota Reached", with
// pion/stun's reason phrase when the server sent none.
func codeText(c stun.ErrorCodeAttribute) string {
	reason := printable(c.Reason)
	if reason == "" {
		m := new(stun.Message)
		var std stun.ErrorCodeAttribute
		if c.Code.AddTo(m) == nil && std.GetFrom(m) == nil {
			reason = printable(std.Reason)
		}
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", c.Code, reason))
}
