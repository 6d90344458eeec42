//go:build unix

package applybench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// startup: 1 resource x 1 open port, ours against the baseline.
func (h *harness) startup(t *testing.T) []row {
	one := oneOpen(t)
	s := rounds(h.n(30), h.side(t, oursTF(one, false, "")), h.side(t, baselineTF(one)))
	h.ours1x1 = s[0]
	return []row{ratioRow("6", "start-up 1x1", s[0], s[1], 1.10)}
}

// scale: 50 hosts (127.0.0.1 .. 127.0.0.50) x 20 open ports, one resource
// per host; ours lists each host's ports in one check, as the docs advise.
// Also reported: one check object per port, and ours with its logs not
// silenced (quietUnreadLogs in main.go, whose comment quotes row 2c).
func (h *harness) scale(t *testing.T) []row {
	targets := make([]target, 50)
	for i := range targets {
		targets[i].host = "127.0.0." + strconv.Itoa(i+1)
		for range 20 {
			targets[i].ports = append(targets[i].ports, testnet.TCPListenerOn(t, targets[i].host))
		}
	}
	ours := oursTF(targets, false, "")
	// TF_LOG_PATH_MASK, which only test frameworks read, turns
	// quietUnreadLogs off and changes nothing else.
	s := rounds(h.n(5), h.side(t, ours), h.side(t, baselineTF(targets)), h.side(t, oursTF(targets, true, "")),
		h.side(t, ours, "TF_LOG_PATH_MASK=unused"))
	return []row{
		ratioRow("2", "scale 50x20, ports in one check", s[0], s[1], 1.30),
		ratioRow("2b", "  one check per port", s[2], s[1], 0),
		ratioRow("2c", "  ours, logs not silenced, vs ours", s[3], s[0], 0),
	}
}

// unblockRound is round i of an unblock measure: an apply of tf(port) for a
// port that opens at offset i%offsets of one poll_interval after a whole
// number of intervals past "Creating...". It returns the finished apply,
// which must succeed, and when the port opened.
func (h *harness) unblockRound(t *testing.T, i, offsets int, tf func(port uint16) string) (*applyRun, time.Time) {
	port, open := testnet.TCPListenerLater(t)
	r := h.startApply(t, tf(port))
	offset := (2*time.Duration(i%offsets) + 1) * h.poll / time.Duration(2*offsets)
	r.until(t, unblockAt(r.start, r.creatingAt(t), h.poll).Add(offset))
	if !open() {
		t.Fatalf("port %d did not open", port)
	}
	opened := time.Now()
	r.finish(t, true)
	return r, opened
}

// unblock: the port opens while Create polls it, at offsets spread over
// one poll_interval; the time from the listener's bind to terraform's exit.
func (h *harness) unblock(t *testing.T) []row {
	const offsets = 5
	side := func(tf func(port uint16) string) func(int) time.Duration {
		return func(i int) time.Duration {
			r, opened := h.unblockRound(t, i, offsets, tf)
			return r.end.Sub(opened)
		}
	}
	s := rounds(h.n(2*offsets),
		side(func(p uint16) string { return oursTF(onePort(p), false, "") }),
		side(func(p uint16) string { return baselineTF(onePort(p)) }))
	return []row{diffRow("1", fmt.Sprintf("unblock over one %s poll_interval", h.poll), s[0], s[1], 50*time.Millisecond, median)}
}

// unblockAt is the phase origin of the unblock offsets: a whole number of
// intervals after Creating... (when polling starts), at least 1 s after the
// start and 200 ms after Creating..., when Create polls in its steady state.
func unblockAt(start, creating time.Time, interval time.Duration) time.Time {
	wait := max(start.Add(time.Second).Sub(creating), 200*time.Millisecond)
	whole := (wait + interval - 1) / interval
	return creating.Add(time.Duration(int64(whole) * int64(interval)))
}

func TestUnblockAt(t *testing.T) {
	start := time.Unix(1000, 0)
	for _, tt := range []struct{ creating, want time.Duration }{ // after start
		{130 * time.Millisecond, 1030 * time.Millisecond}, // the first whole interval 1 s after start
		{200 * time.Millisecond, time.Second},             // on the boundary
		{950 * time.Millisecond, 1150 * time.Millisecond}, // late Create: 200 ms after it
	} {
		if got := unblockAt(start, start.Add(tt.creating), 100*time.Millisecond).Sub(start); got != tt.want {
			t.Errorf("Creating... at %s: unblockAt = %s after start, want %s", tt.creating, got, tt.want)
		}
	}
}

// failure: one closed port under `timeouts { create = "3s" }`. What the
// verdict costs beyond the deadline is the apply's time minus 3 s minus our
// median 1 x 1 open-port apply.
func (h *harness) failure(t *testing.T) []row {
	const timeout = 3 * time.Second
	if len(h.ours1x1) == 0 { // the startup measure did not run
		one := oneOpen(t)
		h.ours1x1 = rounds(3, h.side(t, oursTF(one, false, "")))[0]
	}
	var out string
	s := rounds(h.n(3), func(int) time.Duration {
		r := h.startApply(t, oursTF(onePort(testnet.ClosedPort(t, "tcp")), false, timeout.String()))
		r.finish(t, false)
		out = r.out.String()
		return r.end.Sub(r.start) - timeout - median(h.ours1x1)
	})
	if !strings.Contains(out, ": closed") {
		t.Fatalf("the error does not call the port closed:\n%s", out)
	}
	r := diffRow("3", "failure verdict beyond a 3s timeout", s[0], nil, 100*time.Millisecond, median)
	r.target = "<= +0.100s"
	return []row{r}
}

// cancel: SIGINT to terraform, as Ctrl-C sends, while Create waits for a
// port that never opens; the time from the signal to terraform's exit. The
// verdict is on the slowest run.
func (h *harness) cancel(t *testing.T) []row {
	side := func(tf string) func(int) time.Duration {
		return func(int) time.Duration {
			r := h.startApply(t, tf)
			creating := r.creatingAt(t)
			r.until(t, creating.Add(max(r.start.Add(1500*time.Millisecond).Sub(creating), 300*time.Millisecond)))
			sent := time.Now()
			if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			r.finish(t, false)
			return r.end.Sub(sent)
		}
	}
	closed := onePort(testnet.ClosedPort(t, "tcp"))
	s := rounds(h.n(3), side(oursTF(closed, false, "5m")), side(baselineTF(closed)))
	return []row{diffRow("5", "Ctrl-C (SIGINT) to exit, slowest", s[0], s[1], time.Second, slices.Max)}
}

// udpRange: one STUN/UDP check over 10,001 ports (LiveKit's default RTP
// range is 50000-60000) against `mediaprobe respond` at max_probe_rate =
// 20000; the whole apply, and the plugin's peak RSS.
func (h *harness) udpRange(t *testing.T) []row {
	const n = 10001
	first := testnet.FreeUDPPortRange(t, n)
	h.respond(t, fmt.Sprintf("%d-%d", first, int(first)+n-1))
	tf := oursHeader + fmt.Sprintf(`resource "media_server_reachability" "r" {
  host           = "127.0.0.1"
  max_probe_rate = 20000
  checks         = [{ protocol = "stun", transport = "udp", port_range = "%d-%d" }]
}
`, first, int(first)+n-1)
	var peak int64
	s := rounds(h.n(3), func(int) time.Duration {
		r := h.startApply(t, tf)
		peak = max(peak, r.pluginPeakRSS())
		r.finish(t, true)
		return r.end.Sub(r.start)
	})
	mb := float64(peak) / 1e6
	return []row{
		diffRow("7", "STUN/UDP range of 10,001 ports", s[0], nil, 2*time.Second, median),
		{id: "7b", measure: "  plugin peak RSS, 10,001 ports", ours: fmt.Sprintf("%.1f MB", mb), base: "-",
			ratio: "max of runs", target: "< 150 MB", verdict: judge(mb < 150)},
	}
}

// respond runs `mediaprobe respond` on the UDP ports of spec until the
// test ends. Its per-source limits are raised far above the bench's rate:
// every probe comes from 127.0.0.1, and the bench measures the provider.
func (h *harness) respond(t *testing.T, spec string) {
	if h.mediaprobe(t, "respond", "--listen", "127.0.0.1", "--udp", spec, "--udp-rate", "100000",
		"--udp-burst", "20000", "--ttl", "30m") == "" {
		t.Fatalf("mediaprobe respond --udp %s exited before listening (ulimit -n is %s)", spec, nofile())
	}
}

// mediaprobe runs a mediaprobe subcommand until the test ends (SIGTERM
// then) and waits for its "listening" log line, which it returns; "" when
// it exited first.
func (h *harness) mediaprobe(t *testing.T, args ...string) string {
	ctx, stop := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, filepath.Join(h.bin, "mediaprobe"), args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, "listening") {
			go func() { // keep draining until it exits
				for sc.Scan() {
				}
			}()
			return line
		}
		t.Log("mediaprobe: " + sc.Text())
	}
	return ""
}

func nofile() string {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return "unknown"
	}
	return strconv.FormatUint(l.Cur, 10)
}

// engine: BenchmarkRunSTUNUDP and BenchmarkRunTCP of internal/verify
// (10,000 checks per run) in a child process each, whose own peak RSS
// (wait4) is the run's alone.
func (h *harness) engine(t *testing.T) []row {
	benchtime := os.Getenv("BENCH_TIME")
	if benchtime == "" {
		benchtime = "3x"
	}
	var rows []row
	var peak float64
	for _, b := range []struct{ id, name, label string }{
		{"4a", "BenchmarkRunSTUNUDP", "engine STUN/UDP, 10k checks"},
		{"4b", "BenchmarkRunTCP", "engine TCP, 10k checks"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		cmd := exec.CommandContext(ctx, filepath.Join(h.bin, "verify.test"), "-test.run", "^$",
			"-test.bench", "^"+b.name+"$", "-test.benchtime", benchtime)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("%s: %v\n%s", b.name, err, out)
		}
		rate, err := probesPerSec(string(out), b.name)
		if err != nil {
			t.Fatal(err)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = max(peak, float64(ru.Maxrss)*1024/1e6) // KiB on Linux
		}
		rows = append(rows, row{id: b.id, measure: b.label, ours: fmt.Sprintf("%.0f probes/s", rate), base: "-",
			ratio: "-", target: ">= 10000/s", verdict: judge(rate >= 10000)})
	}
	return append(rows, row{id: "4c", measure: "  engine peak RSS", ours: fmt.Sprintf("%.1f MB", peak), base: "-",
		ratio: "max of 4a, 4b", target: "< 100 MB", verdict: judge(peak < 100)})
}

// probesPerSec reads the probes/s metric of benchmark name from go test's
// output ("BenchmarkRunTCP-2  3  618525714 ns/op  16167 probes/s ...").
func probesPerSec(out, name string) (float64, error) {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 0 || (f[0] != name && !strings.HasPrefix(f[0], name+"-")) {
			continue
		}
		if i := slices.Index(f, "probes/s"); i > 0 {
			return strconv.ParseFloat(f[i-1], 64)
		}
	}
	return 0, fmt.Errorf("no probes/s for %s in:\n%s", name, out)
}
