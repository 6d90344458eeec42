package verifytest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/check"
	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// Prober is a scripted probe: Script decides each attempt's status from the
// port and the attempt number (1-based, per port). StatusFiltered is silence:
// it blocks until the attempt's context ends or, when Clock is set, until
// Clock has moved on by Silence. StatusNone blocks until the run is
// cancelled.
type Prober struct {
	Script  func(port uint16, attempt int) probe.Status
	Clock   *Clock
	Silence time.Duration

	mu    sync.Mutex
	calls map[uint16]int
}

// Probe is a check.ProbeFunc.
func (p *Prober) Probe(ctx context.Context, t probe.Target) probe.Result {
	p.mu.Lock()
	if p.calls == nil {
		p.calls = make(map[uint16]int)
	}
	p.calls[t.Port]++
	n := p.calls[t.Port]
	p.mu.Unlock()

	res := probe.Result{Protocol: "tcp", Transport: "tcp", Host: t.Host, Address: t.Address()}
	res.Status = p.Script(t.Port, n)
	switch res.Status {
	case probe.StatusFiltered, probe.StatusNone:
		var silence <-chan time.Time
		if p.Clock != nil && res.Status == probe.StatusFiltered {
			t := p.Clock.NewTimer(p.Silence)
			defer t.Stop()
			silence = t.C()
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				res.Status = probe.StatusNone
			}
		case <-silence:
		}
		res.Cause = "no answer before the deadline"
	case probe.StatusClosed:
		res.Cause = "connection refused"
	case probe.StatusError:
		res.Cause = "wrong answer"
	}
	return res
}

// Calls returns how many attempts port has had.
func (p *Prober) Calls(port uint16) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[port]
}

// Check returns a check over ports probed by p.
func (p *Prober) Check(name string, ports ...uint16) check.Check {
	label := strconv.Itoa(int(ports[0]))
	if len(ports) > 1 {
		label += "-" + strconv.Itoa(int(ports[len(ports)-1]))
	}
	return check.Check{Name: name, Protocol: "tcp", Transport: "tcp", Ports: ports, Label: label, Probe: p.Probe}
}
