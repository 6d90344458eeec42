package agentapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/vantage"
)

// DefaultMaxRuns is a Remote's verifications in flight when
// RemoteOptions.MaxRuns is 0: the agent's default --max-runs-per-token.
const DefaultMaxRuns = 4

// Bounds of one wait on a 429's Retry-After. The ceiling keeps a hostile
// or broken agent from stalling a run beyond reason; the floor keeps a
// "Retry-After: 0" from turning into a tight loop of requests.
const (
	maxRetryWait = time.Minute
	minRetryWait = time.Second
)

// drainWait caps how long drain reads on.
const drainWait = time.Second

// drain reads the stream to its end after the report line, for at most
// drainWait, after which it calls cancel. The agent frees the run's
// per-token slot just before it ends the response: a Remote that frees its
// own slot only then never has its next request refused as one run too
// many (429 busy). A stream read to its end also leaves the connection
// for the next request.
func drain(body io.Reader, cancel context.CancelFunc) {
	t := time.AfterFunc(drainWait, cancel)
	defer t.Stop()
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxLineBytes))
}

// acquire waits for one of the Remote's MaxRuns slots, or for ctx to end.
// The caller calls release once its request to the agent is over.
func (r *Remote) acquire(ctx context.Context) (release func(), err error) {
	select {
	case r.slots <- struct{}{}:
		return func() { <-r.slots }, nil
	default:
	}
	select {
	case r.slots <- struct{}{}:
		return func() { <-r.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("agent %q (%s): stopped while waiting for a slot (the provider sends it at most %d "+
			"verifications at once, its max_runs): %w", r.name, r.base, cap(r.slots), ctx.Err())
	}
}

// send posts req until the agent answers 200, which it returns with the
// stream unread. A 429 with a Retry-After is sent again after that wait,
// as long as ctx's deadline leaves room for the wait and maxReportMargin
// (without a deadline, until ctx ends); otherwise, and for any other
// status, the refusal is the error.
func (r *Remote) send(ctx context.Context, req vantage.Request) (*http.Response, error) {
	for {
		resp, err := r.post(ctx, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusOK {
			return resp, nil
		}
		refused := r.refusal(resp)
		wait, ok := retryAfter(resp, time.Now())
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || !ok {
			return nil, refused
		}
		if d, has := ctx.Deadline(); has && time.Until(d) < wait+maxReportMargin {
			return nil, refused
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w; stopped while waiting to retry: %w", refused, ctx.Err())
		}
	}
}

// retryAfter reads a response's Retry-After (whole seconds, or an
// HTTP-date) as a wait between minRetryWait and maxRetryWait; ok is false
// when there is none or it does not parse.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var wait time.Duration
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		wait = maxRetryWait
		if secs < uint64(maxRetryWait/time.Second) {
			wait = time.Duration(secs) * time.Second
		}
	} else if at, err := http.ParseTime(v); err == nil {
		wait = at.Sub(now)
	} else {
		return 0, false
	}
	return min(max(wait, minRetryWait), maxRetryWait), true
}
