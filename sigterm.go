package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

const (
	// sigtermGrace bounds how long the plugin outlives a SIGTERM while
	// Terraform, which started it, is still running.
	sigtermGrace = 30 * time.Second
	// parentPollInterval is how often, after a SIGTERM, the plugin checks
	// whether Terraform is still its parent.
	parentPollInterval = 200 * time.Millisecond
	// exitTerminated is the shell's exit status for "terminated by SIGTERM".
	exitTerminated = 128 + 15
)

// outliveSIGTERM keeps a SIGTERM from ending the plugin at once. `timeout`
// and CI runners signal the whole process group, so Terraform gets the same
// SIGTERM and stops the provider itself: the running verification is
// cancelled, fails with "Verification cancelled" and what was learned so
// far, and Terraform then ends the plugin. A plugin that died on the signal
// lost that report ("Plugin did not respond"). go-plugin ignores SIGINT for
// the same reason. So that the plugin never lingers as an orphan, it exits
// once Terraform is gone or sigtermGrace after the signal, whichever comes
// first.
func outliveSIGTERM() {
	parent := os.Getppid()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() { // lives as long as the process
		<-sig
		waitParentGone(parent, os.Getppid, sigtermGrace, parentPollInterval)
		os.Exit(exitTerminated)
	}()
}

// waitParentGone returns once getppid no longer returns parent (the parent
// exited and the process was re-parented) or grace has passed, checking
// every poll. Where a process is never re-parented (Windows), only grace
// ends the wait.
func waitParentGone(parent int, getppid func() int, grace, poll time.Duration) {
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for getppid() == parent {
		select {
		case <-deadline.C:
			return
		case <-tick.C:
		}
	}
}
