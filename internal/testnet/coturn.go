package testnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/stun/v3"
)

// CoturnOptions configures Coturn. The zero value is a TURN server with
// realm "media.test" and no users.
type CoturnOptions struct {
	// Realm defaults to "media.test".
	Realm string
	// Users are static long-term credentials (lt-cred-mech, user=).
	Users map[string]string
	// Secret, when set, makes the server check TURN REST API credentials
	// made with it (use-auth-secret, static-auth-secret) instead of Users.
	Secret string
	// AllowLoopbackPeers sets allow-loopback-peers, without which coturn
	// 4.5.2 and later refuse permissions toward 127.0.0.1 and ::1, which
	// is where a relay round trip on loopback ends.
	AllowLoopbackPeers bool
	// StunOnly runs coturn as a plain STUN server (stun-only).
	StunOnly bool
	// Extra lines for turnserver.conf, such as denied-peer-ip=...
	Extra []string
}

// CoturnServer is a running turnserver on loopback.
type CoturnServer struct {
	Port    uint16         // TURN over UDP and TCP on 127.0.0.1 (and ::1 when IPv6)
	TLSPort uint16         // TURN over TLS
	IPv6    bool           // it also listens on ::1
	Pool    *x509.CertPool // trusts its certificate, for localhost, 127.0.0.1 and ::1
	Version string         // as `turnserver --version` prints it, e.g. "4.6.1"
	log     *lockedBuffer
}

// Log returns what coturn logged so far (its first MiB).
func (s CoturnServer) Log() string { return s.log.String() }

// LogCount waits up to 5s for coturn to log substr n times (its log
// reaches us through a pipe, a little after coturn acted), and returns how
// many times it did.
func (s CoturnServer) LogCount(substr string, n int) int {
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for {
		log, changed := s.log.snapshot()
		got := strings.Count(log, substr)
		if got >= n {
			return got
		}
		select {
		case <-changed:
		case <-t.C:
			return got
		}
	}
}

// coturnRelayPorts is the size of the relay port range; every attempt
// releases its allocation, so a few are plenty.
const coturnRelayPorts = 16

// coturnStartup bounds the wait for coturn to be ready.
const coturnStartup = 15 * time.Second

// Coturn starts Debian's turnserver (coturn) as a child process with a
// generated configuration in tb.TempDir(): listening on 127.0.0.1 (and
// ::1 when available) on free ports, TLS with a certificate from Cert, a
// free relay port range, no CLI, no DTLS, its database and pid file in the
// temp dir. It returns once coturn told systemd's notify socket it is
// ready and answered a STUN Binding, and kills it (and waits) at cleanup;
// coturn's log is shown when the test failed. Without turnserver the test
// is skipped, or fails under MEDIA_REQUIRE_ALL_TESTS=1.
func Coturn(tb testing.TB, o CoturnOptions) CoturnServer {
	tb.Helper()
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/turnserver"); serr != nil {
			SkipOrFail(tb, "turnserver (Debian package coturn) not found: "+err.Error())
		}
		bin = "/usr/bin/turnserver"
	}
	s := CoturnServer{Version: coturnVersion(tb, bin), log: new(lockedBuffer)}
	dir := tb.TempDir()
	certPEM, keyPEM, pool := Cert(tb)
	s.Pool = pool
	writeFile(tb, filepath.Join(dir, "cert.pem"), certPEM)
	writeFile(tb, filepath.Join(dir, "key.pem"), keyPEM)

	ips := []string{loopback4}
	if ln, err := bindTCP(tb, "::1", 0); err == nil {
		_ = ln.Close()
		ips, s.IPv6 = append(ips, "::1"), true
	}
	// listening-port, its RFC 5780 alternative, tls-listening-port and its
	// alternative: coturn binds all four on TCP and UDP.
	base := freeRun(tb, 4, ips)
	s.Port, s.TLSPort = base, base+2
	relay := freeRun(tb, coturnRelayPorts, ips)

	conf := coturnConfig(o, dir, ips, base, relay)
	path := filepath.Join(dir, "turnserver.conf")
	writeFile(tb, path, []byte(conf))
	startCoturn(tb, bin, path, s)
	return s
}

func coturnConfig(o CoturnOptions, dir string, ips []string, base, relay uint16) string {
	realm := o.Realm
	if realm == "" {
		realm = "media.test"
	}
	var c []string
	add := func(format string, a ...any) { c = append(c, fmt.Sprintf(format, a...)) }
	for _, ip := range ips {
		add("listening-ip=%s", ip)
		add("relay-ip=%s", ip)
	}
	add("listening-port=%d", base)
	add("alt-listening-port=%d", base+1)
	add("tls-listening-port=%d", base+2)
	add("alt-tls-listening-port=%d", base+3)
	add("min-port=%d", relay)
	add("max-port=%d", relay+coturnRelayPorts-1)
	add("realm=%s", realm)
	if o.Secret != "" {
		add("use-auth-secret")
		add("static-auth-secret=%s", o.Secret)
	} else {
		add("lt-cred-mech")
		for name, pw := range o.Users {
			add("user=%s:%s", name, pw)
		}
	}
	add("cert=%s", filepath.Join(dir, "cert.pem"))
	add("pkey=%s", filepath.Join(dir, "key.pem"))
	add("userdb=%s", filepath.Join(dir, "turndb"))
	add("pidfile=%s", filepath.Join(dir, "turnserver.pid"))
	// verbose: one line per request, which tests read through Log.
	c = append(c, "no-dtls", "no-cli", "log-file=stdout", "simple-log", "verbose")
	if o.AllowLoopbackPeers {
		add("allow-loopback-peers")
	}
	if o.StunOnly {
		add("stun-only")
	}
	c = append(c, o.Extra...)
	return strings.Join(c, "\n") + "\n"
}

// startCoturn runs turnserver -c path until cleanup and waits until it is
// ready: it sends READY=1 to $NOTIFY_SOCKET once every listener is open,
// and then must answer a STUN Binding on s.Port.
func startCoturn(tb testing.TB, bin, path string, s CoturnServer) {
	tb.Helper()
	notify, name := notifySocket(tb)
	defer notify.Close()

	out := s.log
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, "-c", path)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+name)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second // then SIGKILL
	if err := cmd.Start(); err != nil {
		tb.Fatalf("testnet: start turnserver: %v", err)
	}
	var waitErr error // set before exited closes
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		select {
		case <-exited:
			tb.Errorf("testnet: turnserver exited before the test ended: %v", waitErr)
		default:
			cancel() // SIGTERM; Wait then reports "signal: terminated"
			<-exited
		}
		if tb.Failed() {
			tb.Logf("testnet: turnserver -c %s output:\n%s", path, out.String())
		}
	})

	ready := make(chan error, 1)
	go func() { ready <- waitReady(notify) }()
	select {
	case err := <-ready:
		if err != nil {
			tb.Fatalf("testnet: turnserver did not report ready within %v: %v", coturnStartup, err)
		}
	case <-exited:
		tb.FailNow() // cleanup reports how it exited
	}
	if err := coturnAnswers(s.Port); err != nil {
		tb.Fatalf("testnet: turnserver is ready but %v", err)
	}
}

// notifySocket is an abstract unix datagram socket for sd_notify, which
// needs no path (a temp dir's path can exceed the 108 bytes of one).
func notifySocket(tb testing.TB) (*net.UnixConn, string) {
	tb.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "@testnet-coturn-" + hex.EncodeToString(b)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		tb.Fatalf("testnet: notify socket: %v", err)
	}
	return c, name
}

// waitReady reads sd_notify messages until READY=1, or fails at the
// startup deadline or when the socket is closed.
func waitReady(c *net.UnixConn) error {
	_ = c.SetReadDeadline(time.Now().Add(coturnStartup))
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if line == "READY=1" {
				return nil
			}
		}
	}
}

// coturnAnswers checks that port answers a STUN Binding over UDP, sending
// up to five requests a second apart.
func coturnAnswers(p uint16) error {
	d := net.Dialer{}
	c, err := d.DialContext(context.Background(), "udp", net.JoinHostPort(loopback4, fmt.Sprint(p)))
	if err != nil {
		return err
	}
	defer c.Close()
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest)
	if err != nil {
		return err
	}
	buf := make([]byte, 2048)
	for range 5 {
		if _, err := c.Write(req.Raw); err != nil {
			return fmt.Errorf("STUN Binding on UDP %d: %w", p, err)
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err != nil {
			continue
		}
		res := &stun.Message{Raw: buf[:n]}
		if res.Decode() == nil && res.TransactionID == req.TransactionID {
			return nil
		}
	}
	return fmt.Errorf("no answer to a STUN Binding on UDP %d", p)
}

// coturnVersion runs turnserver --version ("4.6.1").
func coturnVersion(tb testing.TB, bin string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		tb.Fatalf("testnet: turnserver --version: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// freeRun finds n consecutive ports below the ephemeral range that are
// free on TCP and UDP on every ip, and returns the first.
func freeRun(tb testing.TB, n int, ips []string) uint16 {
	tb.Helper()
	const tries = 100
	for range tries {
		base := freePorts(tb, "udp", n)
		ok := true
		for _, ip := range ips {
			ok = ok && bindsAllOn(tb, "tcp", ip, int(base), n) && bindsAllOn(tb, "udp", ip, int(base), n)
		}
		if ok {
			return base
		}
	}
	tb.Fatalf("testnet: no %d consecutive ports free on TCP and UDP on %v after %d tries", n, ips, tries)
	return 0
}

func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatalf("testnet: %v", err)
	}
}

// lockedBuffer collects a child's output from its copying goroutines,
// keeping at most the first coturnLogMax bytes.
type lockedBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed at the next Write
}

const coturnLogMax = 1 << 20

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := coturnLogMax - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	s, _ := b.snapshot()
	return s
}

// snapshot returns the contents and a channel closed at the next Write.
func (b *lockedBuffer) snapshot() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed == nil {
		b.changed = make(chan struct{})
	}
	return b.buf.String(), b.changed
}
