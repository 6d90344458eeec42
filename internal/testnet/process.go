package testnet

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Real media servers (nginx-rtmp, srt-live-transmit) run as foreground child
// processes of the test: started on a free loopback port with a config in
// tb.TempDir(), killed by PID and waited for at cleanup.
const (
	// readyTimeout bounds the wait for a started server to answer.
	readyTimeout = 10 * time.Second
	// readyPoll is how often a server that refused is asked again.
	readyPoll = 10 * time.Millisecond
	// keepOutput is how much of a server's output is kept for failure
	// messages: its last bytes.
	keepOutput = 8 << 10
)

// server is a child process a helper started.
type server struct {
	name   string
	cmd    *exec.Cmd
	out    *tailBuffer
	exited chan struct{} // closed once Wait returned
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

// startServer runs bin with args in dir, in the foreground, until cleanup,
// which kills it by PID and waits for it. Its output is kept for failure
// messages.
func startServer(tb testing.TB, name, bin, dir string, args ...string) *server {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// Cancelling ctx kills the process (cmd.Cancel defaults to
	// Process.Kill, by PID); cleanup then waits for it.
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out := &tailBuffer{max: keepOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("testnet: start %s: %v", name, err)
	}
	s := &server{name: name, cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status is expected: we killed it
		close(s.exited)
	}()
	tb.Cleanup(func() {
		cancel()
		<-s.exited
	})
	return s
}

// waitReady calls ready every readyPoll until it reports true, and fails the
// test, quoting the server's output, when the server exits first or
// readyTimeout passes. ready must return within about readyPoll.
func (s *server) waitReady(tb testing.TB, ready func() bool) {
	tb.Helper()
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	// readyTimeout / readyPoll rounds at most, plus one for the first try.
	for range readyTimeout/readyPoll + 1 {
		if ready() {
			return
		}
		select {
		case <-s.exited:
			tb.Fatalf("testnet: %s exited before it answered (%v); its output:\n%s", s.name, s.cmd.ProcessState, s.out)
		case <-deadline.C:
			tb.Fatalf("testnet: %s did not answer within %s; its output:\n%s", s.name, readyTimeout, s.out)
		case <-tick.C:
		}
	}
	tb.Fatalf("testnet: %s did not answer after %d tries; its output:\n%s", s.name, readyTimeout/readyPoll+1, s.out)
}

// tailBuffer keeps the last max bytes written to it; it is safe for the
// process's copy goroutines and a failing test to use at once.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
