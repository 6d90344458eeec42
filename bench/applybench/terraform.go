package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// bench holds what every measure shares: the CLI configuration, the
// environment of terraform, and the samples other measures reuse.
type bench struct {
	cfg     config
	tmp     string
	ownTmp  bool
	env     []string
	nextDir int
	// cliConfig is terraform's CLI configuration: dev_overrides for both
	// providers, pointing at the copies that place chose.
	cliConfig string

	// ours1x1 holds our 1 x 1 open-port applies (the start-up measure);
	// scale and failure compare against their median.
	ours1x1 []time.Duration
	// pollInterval is our poll_interval default as the state records it.
	pollInterval time.Duration
}

func newBench(cfg config) (*bench, error) {
	b := &bench{cfg: cfg, tmp: cfg.tmp}
	if b.tmp == "" {
		dir, err := os.MkdirTemp("", "applybench-")
		if err != nil {
			return nil, err
		}
		b.tmp, b.ownTmp = dir, true
	}
	tmp, err := filepath.Abs(filepath.Join(b.tmp, "work"))
	if err != nil {
		return nil, err
	}
	b.tmp = tmp
	if err := os.MkdirAll(b.tmp, 0o755); err != nil {
		return nil, err
	}
	b.cliConfig = filepath.Join(b.tmp, "terraformrc")
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "TF_CLI_ARGS"), name == "TF_CLI_CONFIG_FILE", name == "TF_DATA_DIR",
			name == "TF_WORKSPACE", name == "TF_INPUT", name == "TF_IN_AUTOMATION", name == "CHECKPOINT_DISABLE":
			continue
		}
		b.env = append(b.env, kv)
	}
	b.env = append(b.env, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+b.cliConfig)
	return b, nil
}

// writeCLIConfig points the dev_overrides at the directories holding
// terraform-provider-media and terraform-provider-baseline.
func (b *bench) writeCLIConfig(oursDir, baseDir string) error {
	rc := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "mediareach/media"    = %q
    "mediareach/baseline" = %q
  }
  direct {}
}
`, oursDir, baseDir)
	return os.WriteFile(b.cliConfig, []byte(rc), 0o644)
}

// close removes every working directory.
func (b *bench) close() {
	if b.ownTmp {
		_ = os.RemoveAll(filepath.Dir(b.tmp))
		return
	}
	_ = os.RemoveAll(b.tmp)
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func (b *bench) debugf(format string, args ...any) {
	if b.cfg.verbose {
		b.logf(format, args...)
	}
}

// workdir makes a fresh working directory holding main.tf.
func (b *bench) workdir(mainTF string) (string, error) {
	b.nextDir++
	dir := filepath.Join(b.tmp, fmt.Sprintf("ws%04d", b.nextDir))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(mainTF), 0o644)
}

// apply is one running `terraform apply` in its own process group (so that
// its provider plugins can be killed with it). start and end are read
// around the process's start and its exit in wait4, in this process.
type apply struct {
	dir   string
	cmd   *exec.Cmd
	out   *watcher
	start time.Time
	end   time.Time
	err   error // from Wait
	done  chan struct{}
	stop  context.CancelFunc
}

// startApply starts `terraform apply` in dir; limit bounds it (then its
// whole process group is killed).
func (b *bench) startApply(ctx context.Context, dir string, limit time.Duration) (*apply, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	a := &apply{dir: dir, out: newWatcher(": Creating..."), done: make(chan struct{}), stop: cancel}
	cmd := exec.CommandContext(ctx, b.cfg.terraform, "apply", "-auto-approve", "-input=false", "-no-color")
	cmd.Dir = dir
	cmd.Env = b.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Our own pipe, an *os.File, so that Wait returns at the exit itself
	// rather than after a copying goroutine drains the output.
	r, w, err := os.Pipe()
	if err != nil {
		cancel()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	a.cmd = cmd
	a.start = time.Now()
	err = cmd.Start()
	_ = w.Close()
	if err != nil {
		_ = r.Close()
		cancel()
		return nil, err
	}
	go a.out.drain(r)
	go func() {
		err := cmd.Wait()
		a.end = time.Now()
		// Terraform stops its plugins; anything left in the group goes now.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		a.err = err
		cancel()
		close(a.done)
	}()
	return a, nil
}

// wait waits for the apply to end (it is killed at its limit) and returns
// its wall time and exit status (-1 when it was killed).
func (a *apply) wait() (time.Duration, int) {
	<-a.done
	<-a.out.eof
	return a.end.Sub(a.start), a.cmd.ProcessState.ExitCode()
}

// kill ends the apply and its plugins at once.
func (a *apply) kill() { a.stop() }

// runApply runs one apply to its end and checks its exit status.
func (b *bench) runApply(ctx context.Context, mainTF string, limit time.Duration, wantOK bool) (time.Duration, *apply, error) {
	dir, err := b.workdir(mainTF)
	if err != nil {
		return 0, nil, err
	}
	a, err := b.startApply(ctx, dir, limit)
	if err != nil {
		return 0, nil, err
	}
	d, code := a.wait()
	b.debugf("   apply %s: %.3fs exit %d", filepath.Base(dir), d.Seconds(), code)
	return d, a, a.check(ctx, wantOK)
}

// check turns an unexpected exit status into an error with the output's tail.
func (a *apply) check(ctx context.Context, wantOK bool) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	code := a.cmd.ProcessState.ExitCode()
	switch {
	case code == -1:
		return fmt.Errorf("terraform apply in %s was killed (%v):\n%s", a.dir, a.err, a.out.tail(15))
	case wantOK && code != 0:
		return fmt.Errorf("terraform apply in %s exited %d:\n%s", a.dir, code, a.out.tail(15))
	case !wantOK && code == 0:
		return fmt.Errorf("terraform apply in %s exited 0, want a failure", a.dir)
	}
	return nil
}

// sleepUntil waits until t, or returns false when the apply ended or ctx
// was cancelled first.
func (a *apply) sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-a.done:
	case <-ctx.Done():
	}
	return false
}

// waitCreating waits until terraform printed "<address>: Creating..." (the
// plan is done and the provider's Create runs), at most limit.
func (a *apply) waitCreating(ctx context.Context, limit time.Duration) error {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-a.out.seen:
		return nil
	case <-a.done:
		<-a.out.eof
		return fmt.Errorf("terraform apply in %s ended before Create:\n%s", a.dir, a.out.tail(15))
	case <-timer.C:
		return fmt.Errorf("terraform apply in %s printed no Creating... within %s", a.dir, limit)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watcher collects terraform's output and notes when pattern first appears.
type watcher struct {
	pattern []byte
	mu      sync.Mutex
	buf     bytes.Buffer
	seenAt  time.Time
	seen    chan struct{}
	eof     chan struct{}
}

func newWatcher(pattern string) *watcher {
	return &watcher{pattern: []byte(pattern), seen: make(chan struct{}), eof: make(chan struct{})}
}

func (w *watcher) drain(r *os.File) {
	defer close(w.eof)
	defer r.Close()
	chunk := make([]byte, 32<<10)
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			w.mu.Lock()
			w.buf.Write(chunk[:n])
			if w.seenAt.IsZero() && bytes.Contains(w.buf.Bytes(), w.pattern) {
				w.seenAt = time.Now()
				close(w.seen)
			}
			w.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// seenTime is when the pattern appeared; call it after seen is closed.
func (w *watcher) seenTime() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seenAt
}

func (w *watcher) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// tail is the last n non-empty lines of the output, indented.
func (w *watcher) tail(n int) string {
	var lines []string
	for _, l := range strings.Split(w.text(), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, "    | "+l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
