//go:build linux

package scenario

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/responder"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// The test binary runs itself again inside a namespace; these variables
// tell the copy which role to play and with what arguments (JSON).
const (
	roleEnv     = "MEDIA_SCENARIO_ROLE"
	argsEnv     = "MEDIA_SCENARIO_ARGS"
	roleRespond = "respond"
	roleVerify  = "verify"

	readyLine   = "ready"   // respond: every port is bound
	runningLine = "running" // verify: the engine starts now
	// startWithin bounds how long a child may take to say readyLine or
	// runningLine (process start under -race included).
	startWithin = 10 * time.Second
	// responderTTL bounds a responder that nobody stops.
	responderTTL = 60 * time.Second
)

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role, os.Getenv(argsEnv)))
	}
	os.Exit(m.Run())
}

// respondArgs are the responder's: port specs as mediaprobe respond takes
// them, the address to bind and a TTL.
type respondArgs struct {
	UDP, TCP string
	Listen   string
	TTL      time.Duration
}

// verifyArgs are one engine run: Timeout is the overall context deadline.
type verifyArgs struct {
	Host    string
	Checks  []check.Spec
	Policy  verify.Policy
	Timeout time.Duration
}

// summary is the part of a verify.Report the tests assert on.
type summary struct {
	Reachable bool
	Err       string
	Elapsed   time.Duration
	Rows      []row
}

type row struct {
	Name          string
	Status        string
	Passed        bool
	Attempts      int
	Cause         string // the first failing port's
	Groups        []verify.PortGroup
	MappedAddress string
	FailingPorts  []uint16
	PassedAfter   time.Duration
	// Seen counts finished attempts by status over all the row's ports.
	Seen map[string]int
}

// tally is the child's verify.Observer: attempt statuses per check name.
type tally struct {
	mu   sync.Mutex
	seen map[string]map[string]int
}

func (t *tally) AttemptDone(e verify.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[e.Check] == nil {
		t.seen[e.Check] = make(map[string]int)
	}
	t.seen[e.Check][e.Result.Status.String()]++
}

func runRole(role, raw string) int {
	var err error
	switch role {
	case roleRespond:
		err = respond(raw)
	case roleVerify:
		err = runVerify(raw)
	case roleAgentRuns:
		err = runAgentRuns(raw)
	default:
		err = fmt.Errorf("unknown %s %q", roleEnv, role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// respond binds the ports, says readyLine and answers until the TTL or
// SIGTERM.
func respond(raw string) error {
	var a respondArgs
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return err
	}
	udp, err := responder.ParsePorts(a.UDP, 0)
	if err != nil {
		return err
	}
	tcp, err := responder.ParsePorts(a.TCP, 0)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.TTL)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	pcs, lns, err := responder.Listen(ctx, udp, tcp, a.Listen, nil)
	if err != nil {
		return err
	}
	fmt.Println(readyLine)
	return responder.Serve(ctx, pcs, lns, responder.Options{})
}

// runVerify says runningLine, runs the engine and prints a summary as one
// JSON line.
func runVerify(raw string) error {
	var a verifyArgs
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return err
	}
	plan := verify.Plan{Host: a.Host, IPVersion: verify.IPv4, Policy: a.Policy}
	for _, s := range a.Checks {
		c, err := s.Build(time.Now)
		if err != nil {
			return err
		}
		plan.Checks = append(plan.Checks, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.Timeout)
	defer cancel()
	fmt.Println(runningLine)
	obs := &tally{seen: make(map[string]map[string]int)}
	rep, runErr := verify.Run(ctx, plan, verify.Deps{Observer: obs})
	obs.mu.Lock() // Run has returned; this only orders the reads below
	defer obs.mu.Unlock()
	s := summary{Reachable: rep.Reachable, Elapsed: rep.Elapsed}
	if runErr != nil {
		s.Err = runErr.Error()
	}
	for _, r := range rep.Results {
		rw := row{
			Name: r.Name, Status: r.Status.String(), Passed: r.Passed, Attempts: r.Attempts,
			Groups: r.Groups, MappedAddress: r.MappedAddress, FailingPorts: r.FailingPorts,
			PassedAfter: r.PassedAfter, Seen: obs.seen[r.Name],
		}
		if len(r.Failing) > 0 {
			rw.Cause = r.Failing[0].Cause
		}
		s.Rows = append(s.Rows, rw)
	}
	return json.NewEncoder(os.Stdout).Encode(s)
}

// child is a copy of the test binary playing a role inside a namespace.
type child struct {
	name  string
	lines chan string // stdout, closed at EOF
	done  chan struct{}
	err   error        // from Wait; read after done
	errs  bytes.Buffer // stderr; read after done
}

// startChild runs role in ns for at most life; t.Cleanup stops it.
func startChild(t *testing.T, ns, role string, args any, life time.Duration) *child {
	t.Helper()
	payload, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), life)
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"="+role, argsEnv+"="+string(payload))
	cmd.WaitDelay = time.Second
	c := &child{name: role + " in " + ns, lines: make(chan string, 8), done: make(chan struct{})}
	cmd.Stderr = &c.errs
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		cancel()
		t.Fatalf("start %s: %v", c.name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		cancel()
		for range c.lines { // bounded: the process is gone, stdout ends
		}
		<-c.done
	})
	return c
}

// next returns the child's next stdout line, failing the test if the child
// exits first or says nothing within the bound.
func (c *child) next(t *testing.T, within time.Duration) string {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case line, ok := <-c.lines:
		if ok {
			return line
		}
		<-c.done
		t.Fatalf("%s exited (%v) without output; stderr:\n%s", c.name, c.err, c.errs.String())
	case <-timer.C:
		t.Fatalf("%s printed nothing within %v", c.name, within)
	}
	return ""
}

// serve starts the responder on serverAddr inside ns and waits until every
// port is bound.
func serve(t *testing.T, ns, udp, tcp string) {
	t.Helper()
	c := startChild(t, ns, roleRespond, respondArgs{UDP: udp, TCP: tcp, Listen: serverAddr, TTL: responderTTL}, responderTTL)
	if line := c.next(t, startWithin); line != readyLine {
		t.Fatalf("%s said %q, want %q", c.name, line, readyLine)
	}
}

// startVerify starts the engine inside ns and returns once it runs.
func startVerify(t *testing.T, ns string, a verifyArgs) *child {
	t.Helper()
	c := startChild(t, ns, roleVerify, a, a.Timeout+startWithin)
	if line := c.next(t, startWithin); line != runningLine {
		t.Fatalf("%s said %q, want %q", c.name, line, runningLine)
	}
	return c
}

// result waits for the engine's summary.
func (c *child) result(t *testing.T, a verifyArgs) summary {
	t.Helper()
	line := c.next(t, a.Timeout+startWithin)
	var s summary
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		t.Fatalf("%s printed %q: %v", c.name, line, err)
	}
	t.Logf("%s: reachable=%v elapsed=%v err=%q", c.name, s.Reachable, s.Elapsed, s.Err)
	for _, r := range s.Rows {
		t.Logf("  %s: %s attempts=%d seen=%v passed_after=%v mapped=%q cause=%q", r.Name, r.Status, r.Attempts, r.Seen, r.PassedAfter, r.MappedAddress, r.Cause)
	}
	return s
}

// verifyFrom runs the engine inside ns to completion.
func verifyFrom(t *testing.T, ns string, a verifyArgs) summary {
	t.Helper()
	return startVerify(t, ns, a).result(t, a)
}

// rowNamed returns the row called name.
func (s summary) rowNamed(t *testing.T, name string) row {
	t.Helper()
	for _, r := range s.Rows {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no row %q in %+v", name, s.Rows)
	return row{}
}

// stoppedErr starts the engine's error for a run its deadline ended.
const stoppedErr = "verification stopped before every check passed"
