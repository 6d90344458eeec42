package verify

import (
	"sync/atomic"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// unit is one check on one address and port: the thing that passes or not.
type unit struct {
	check   int
	target  probe.Target
	started int // attempts started; also the next attempt's sequence number
	// lastStart is when the latest attempt started, for Check.MinInterval.
	lastStart time.Time
	done      int // attempts with a verdict
	// Attempts overlap (one starts every interval while earlier ones wait
	// out attempt_timeout) and answer out of order, so a streak is counted
	// in start order. inOrder attempts, from the first, have all answered;
	// streak is the run of opens that ends with them; ahead holds the
	// answers of the attempts after them, ahead[0] (attempt inOrder) being
	// still unanswered.
	inOrder int
	streak  int
	ahead   []probe.Status
	passed  bool
	final   bool // Snapshot: it answered closed or error, so no more attempts
	// unreachable is the check's expect = "unreachable": a streak counts
	// closed and filtered answers, and any open or error answer is final.
	unreachable bool
	reached     bool // unreachable, and something answered: it failed
	back        int  // attempts whose outcome the loop has seen
	passAt      time.Duration
	// errSince is when the unit's current run of error answers began; zero
	// when its last answer was not an error.
	errSince time.Time
	last     probe.Result
	lastOK   probe.Result // most recent open result
	// pending counts attempts waiting for the concurrency limit; a unit
	// never queues a second one, so a saturated limit cannot pile up work.
	pending atomic.Int32
}

// good reports whether st counts toward u's streak: open, or for an
// unreachable check closed or filtered.
func (u *unit) good(st probe.Status) bool {
	if u.unreachable {
		return st == probe.StatusClosed || st == probe.StatusFiltered
	}
	return st == probe.StatusOpen
}

// record notes attempt seq's status and reports whether need attempts that
// started one after another have all answered open. An attempt still in
// flight holds a streak at its place; one that fails later breaks it.
func (u *unit) record(seq int, st probe.Status, need int) bool {
	i := seq - u.inOrder
	for len(u.ahead) <= i {
		u.ahead = append(u.ahead, probe.StatusNone)
	}
	u.ahead[i] = st
	for len(u.ahead) > 0 && u.ahead[0] != probe.StatusNone {
		if u.good(u.ahead[0]) {
			u.streak++
		} else {
			u.streak = 0
		}
		u.ahead = u.ahead[1:]
		u.inOrder++
		if u.streak >= need {
			return true
		}
	}
	if !u.good(st) || seq < u.inOrder {
		return false
	}
	// A run of opens among the attempts answered early, around this one.
	i = seq - u.inOrder
	run := 1
	for j := i - 1; j >= 0 && u.good(u.ahead[j]); j-- {
		run++
	}
	for j := i + 1; j < len(u.ahead) && u.good(u.ahead[j]); j++ {
		run++
	}
	return run >= need
}
