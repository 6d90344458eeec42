package main

import (
	"testing"
	"time"
)

func TestWaitParentGone(t *testing.T) {
	const parent = 4242
	for _, tc := range []struct {
		name      string
		goneAfter int // getppid returns parent this many times, then 1
		grace     time.Duration
		wantCalls int
	}{
		{name: "parent exits", goneAfter: 3, grace: time.Hour, wantCalls: 4},
		{name: "parent already gone", goneAfter: 0, grace: time.Hour, wantCalls: 1},
		{name: "grace ends the wait", goneAfter: -1, grace: 20 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			getppid := func() int {
				calls++
				if tc.goneAfter >= 0 && calls > tc.goneAfter {
					return 1
				}
				return parent
			}
			start := time.Now()
			done := make(chan struct{})
			go func() {
				defer close(done)
				waitParentGone(parent, getppid, tc.grace, time.Millisecond)
			}()
			timer := time.NewTimer(10 * time.Second)
			defer timer.Stop()
			select {
			case <-done:
			case <-timer.C:
				t.Fatal("waitParentGone still waiting after 10s")
			}
			if tc.wantCalls > 0 && calls != tc.wantCalls {
				t.Errorf("getppid called %d times, want %d", calls, tc.wantCalls)
			}
			if tc.goneAfter < 0 && time.Since(start) < tc.grace {
				t.Errorf("returned after %s, before the grace of %s", time.Since(start), tc.grace)
			}
		})
	}
}
