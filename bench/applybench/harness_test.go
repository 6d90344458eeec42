//go:build unix

package applybench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// applyLimit bounds an apply that should end by itself; it is then killed.
const applyLimit = 2 * time.Minute

// harness holds what the measures share: terraform, its environment, and
// the samples some measures reuse.
type harness struct {
	terraform string
	bin       string // both providers, mediaprobe and verify.test (bench/run.sh)
	root      string // parent of every working directory
	env       []string
	rounds    int           // BENCH_ROUNDS; 0: each measure's default
	poll      time.Duration // our poll_interval default, from the warm-up's state
	ours1x1   []time.Duration
	dirs      int
}

func newHarness(t *testing.T, bin string) *harness {
	h := &harness{bin: bin, root: t.TempDir(), terraform: os.Getenv("TERRAFORM")}
	if h.terraform == "" {
		var err error
		if h.terraform, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("terraform is not on PATH; set TERRAFORM")
		}
	}
	if v := os.Getenv("BENCH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("BENCH_ROUNDS=%q: want a count of at least 1", v)
		}
		h.rounds = n
	}
	// dev_overrides for both providers: no terraform init.
	rc := filepath.Join(h.root, "terraformrc")
	err := os.WriteFile(rc, fmt.Appendf(nil, `provider_installation {
  dev_overrides {
    "mediareach/media"    = %q
    "mediareach/baseline" = %q
  }
  direct {}
}
`, bin, bin), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// The caller's environment passes through (GOGC, GOMEMLIMIT and TF_LOG*
	// too, to compare settings), but nothing that changes what terraform
	// runs or where.
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "TF_CLI_") && !slices.Contains([]string{"TF_DATA_DIR", "TF_WORKSPACE",
			"TF_INPUT", "TF_IN_AUTOMATION", "CHECKPOINT_DISABLE"}, name) {
			h.env = append(h.env, kv)
		}
	}
	h.env = append(h.env, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+rc)

	// One apply of each, not counted, reads both binaries into the page
	// cache; ours also records our poll_interval default in its state.
	one := oneOpen(t)
	dir := h.startApply(t, oursTF(one, false, "")).finish(t, true)
	h.finishApply(t, baselineTF(one), true)
	if h.poll, err = statePollInterval(dir); err != nil {
		t.Fatalf("reading our poll_interval default: %v", err)
	}
	return h
}

// smoke is a one-round run, whose missed targets do not fail.
func (h *harness) smoke() bool { return h.rounds == 1 }

// n is the rounds of a measure whose default is def.
func (h *harness) n(def int) int {
	if h.rounds > 0 {
		return h.rounds
	}
	return def
}

// rounds runs n rounds of the sides, each once per round in turn, so that
// every side sees the same machine; it returns each side's samples.
func rounds(n int, sides ...func(round int) time.Duration) [][]time.Duration {
	out := make([][]time.Duration, len(sides))
	for i := range n {
		for s, side := range sides {
			out[s] = append(out[s], side(i))
		}
	}
	return out
}

// side is an apply of mainTF timed from start to exit, as a side of rounds.
func (h *harness) side(t *testing.T, mainTF string, env ...string) func(int) time.Duration {
	return func(int) time.Duration { return h.finishApply(t, mainTF, true, env...) }
}

// finishApply runs an apply to its end, checks that it passed or failed as
// wanted, and returns its time.
func (h *harness) finishApply(t *testing.T, mainTF string, wantOK bool, env ...string) time.Duration {
	r := h.startApply(t, mainTF, env...)
	r.finish(t, wantOK)
	return r.end.Sub(r.start)
}

// applyRun is one `terraform apply` in a new working directory and in its
// own process group, so that its plugins can be killed with it.
type applyRun struct {
	dir        string
	cmd        *exec.Cmd
	out        *output
	start, end time.Time // end is set before done closes
	done       chan struct{}
}

// startApply starts terraform apply; it is killed with its plugins at
// applyLimit, and at the end of the test.
func (h *harness) startApply(t *testing.T, mainTF string, env ...string) *applyRun {
	t.Helper()
	h.dirs++
	dir := filepath.Join(h.root, fmt.Sprintf("ws%04d", h.dirs))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(mainTF), 0o644); err != nil {
		t.Fatal(err)
	}
	return h.startIn(t, dir, env, "apply", "-auto-approve")
}

// startPlan starts `terraform plan -detailed-exitcode` (refresh on) in dir,
// the working directory of an apply that passed: it exits 0 only when the
// plan has no changes.
func (h *harness) startPlan(t *testing.T, dir string) *applyRun {
	t.Helper()
	return h.startIn(t, dir, nil, "plan", "-detailed-exitcode")
}

// startIn starts terraform with args in dir, as startApply describes.
func (h *harness) startIn(t *testing.T, dir string, env []string, args ...string) *applyRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), applyLimit)
	cmd := exec.CommandContext(ctx, h.terraform, append(args, "-input=false", "-no-color")...)
	cmd.Dir, cmd.Env = dir, append(slices.Clone(h.env), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	r := &applyRun{dir: dir, cmd: cmd, out: &output{creating: make(chan struct{})}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	r.start = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		r.end = time.Now()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // any plugin left behind
		cancel()
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// finish waits for the apply's exit, fails t unless it passed (wantOK) or
// failed as wanted, and returns the working directory.
func (r *applyRun) finish(t *testing.T, wantOK bool) string {
	t.Helper()
	<-r.done
	switch code := r.cmd.ProcessState.ExitCode(); {
	case code == -1:
		t.Fatalf("terraform %s in %s was killed:\n%s", r.cmd.Args[1], r.dir, r.out.tail())
	case wantOK != (code == 0):
		t.Fatalf("terraform %s in %s exited %d, want success %v:\n%s", r.cmd.Args[1], r.dir, code, wantOK, r.out.tail())
	}
	return r.dir
}

// creatingAt waits until terraform printed "Creating...": the plan is done
// and the provider's Create runs.
func (r *applyRun) creatingAt(t *testing.T) time.Time {
	t.Helper()
	select {
	case <-r.out.creating:
		return r.out.createdAt
	case <-r.done:
		t.Fatalf("terraform apply in %s ended before Create:\n%s", r.dir, r.out.tail())
	}
	return time.Time{}
}

// until waits for at, or fails t when the apply ends first.
func (r *applyRun) until(t *testing.T, at time.Time) {
	t.Helper()
	timer := time.NewTimer(time.Until(at))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-r.done:
		t.Fatalf("terraform apply in %s ended too early:\n%s", r.dir, r.out.tail())
	}
}

// pluginPeakRSS polls the peak RSS (VmHWM) of terraform's children, the
// provider plugins, every 10 ms until the apply ends, and returns the
// largest in bytes. It is a high-water mark, so only growth in the last
// poll interval of a plugin's life can be missed.
func (r *applyRun) pluginPeakRSS() int64 {
	var peak int64
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, pid := range children(r.cmd.Process.Pid) {
			peak = max(peak, vmHWM(pid))
		}
		select {
		case <-r.done:
			return peak
		case <-tick.C:
		}
	}
}

// children lists the child processes of pid, from every thread's
// /proc/PID/task/TID/children (Linux).
func children(pid int) []int {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var pids []int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(s); err == nil {
				pids = append(pids, p)
			}
		}
	}
	return pids
}

// vmHWM is a process's peak resident set size in bytes, 0 if it is gone.
func vmHWM(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// output is terraform's output; it notes when "Creating..." first appears.
type output struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	creating  chan struct{} // closed then
	createdAt time.Time     // set before creating closes
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if o.createdAt.IsZero() && bytes.Contains(o.buf.Bytes(), []byte(": Creating...")) {
		o.createdAt = time.Now()
		close(o.creating)
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// tail is the last lines of the output, for a failure message.
func (o *output) tail() string {
	lines := strings.Split(strings.TrimSpace(o.String()), "\n")
	return "    | " + strings.Join(lines[max(0, len(lines)-15):], "\n    | ")
}

// statePollInterval reads poll_interval from the state an apply of ours
// left in dir.
func statePollInterval(dir string) (time.Duration, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		return 0, err
	}
	var st struct {
		Resources []struct {
			Instances []struct {
				Attributes struct {
					PollInterval string `json:"poll_interval"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return 0, err
	}
	if len(st.Resources) == 0 || len(st.Resources[0].Instances) == 0 {
		return 0, fmt.Errorf("no resource in %s's state", dir)
	}
	return time.ParseDuration(st.Resources[0].Instances[0].Attributes.PollInterval)
}
