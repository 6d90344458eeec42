package testnet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// serverStartTimeout bounds how long a real server may take to answer
	// after it was started.
	serverStartTimeout = 15 * time.Second
	// serverStopTimeout is how long a server gets to exit on SIGTERM
	// before its process group is killed.
	serverStopTimeout = 5 * time.Second
	// serverPoll is how often a starting server is asked whether it is up.
	serverPoll = 20 * time.Millisecond
	// maxServerLog bounds the output kept to show when a test fails.
	maxServerLog = 64 << 10
)

// process is a real server started by a test: in the foreground, in a
// process group of its own so that its workers go with it, its output kept
// to show when the test fails.
type process struct {
	name   string
	out    *headBuffer
	exited chan struct{} // closed once Wait returned
	err    error         // Wait's, valid once exited is closed
}

// startProcess runs path with args in dir. stdout, when set, receives the
// process's standard output; otherwise it goes to the kept log with
// standard error. At cleanup the process group gets SIGTERM; after
// serverStopTimeout the server is killed, and it is always waited for.
func startProcess(tb testing.TB, dir string, stdout io.Writer, path string, args ...string) *process {
	tb.Helper()
	out := &headBuffer{max: maxServerLog}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	if stdout != nil {
		cmd.Stdout = stdout
	}
	// Setpgid: SIGTERM reaches the server's workers too. Pdeathsig: a test
	// binary that dies without cleanup (a timeout panic) takes the server
	// with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	// Then Wait kills the leader and stops waiting for output.
	cmd.WaitDelay = serverStopTimeout
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("testnet: start %s: %v", path, err)
	}
	pgid := cmd.Process.Pid
	p := &process{name: path, out: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() {
		cancel()
		<-p.exited
		// Workers that outlived their leader.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		if tb.Failed() {
			tb.Logf("testnet: output of %s %v:\n%s", path, args, out.String())
		}
	})
	return p
}

// waitUntil calls ready every serverPoll until it reports true, the
// process exits, or serverStartTimeout passes. It returns nil once ready,
// or why the server is not up.
func (p *process) waitUntil(ctx context.Context, ready func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(ctx, serverStartTimeout)
	defer cancel()
	tick := time.NewTicker(serverPoll)
	defer tick.Stop()
	for {
		if ready(ctx) {
			return nil
		}
		select {
		case <-p.exited:
			return errExited{p.err}
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// errExited is a server that exited before it answered.
type errExited struct{ err error }

func (e errExited) Error() string {
	if e.err == nil {
		return "exited before answering"
	}
	return "exited before answering: " + e.err.Error()
}

func exited(err error) bool {
	var e errExited
	return errors.As(err, &e)
}

// headBuffer keeps the first max bytes written to it, safe for the
// concurrent writes of a process's stdout and stderr.
type headBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *headBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *headBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// exitCode is the process's exit status once it exited, or -1.
func (p *process) exitCode() int {
	select {
	case <-p.exited:
	default:
		return -1
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// lookBinary finds a server binary on PATH or at one of the given absolute
// paths (sbin is not on every user's PATH), or skips the test (fails it under
// MEDIA_REQUIRE_ALL_TESTS=1) naming the Debian package that ships it.
func lookBinary(tb testing.TB, name, pkg string, paths ...string) string {
	tb.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	SkipOrFail(tb, name+" is not installed (Debian package "+pkg+")")
	return ""
}

// waitReady is waitUntil for a ready check that needs no context: it fails
// the test, quoting the server's output, when the server does not come up.
func (p *process) waitReady(tb testing.TB, ready func() bool) {
	tb.Helper()
	if err := p.waitUntil(tb.Context(), func(context.Context) bool { return ready() }); err != nil {
		tb.Fatalf("testnet: %s did not answer: %v; its output:\n%s", p.name, err, p.out)
	}
}
