package verify

import "time"

// tokenBucket allows rate starts per second with bursts of up to burst. It
// is not safe for concurrent use: Rates guards its buckets.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

// fullBucket returns a bucket for rate starts per second that starts with
// burst tokens.
func fullBucket(rate, burst float64, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// refill adds the tokens earned since the last refill.
func (b *tokenBucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// retune changes the rate from now on. Callers refill first (see
// hostRate.settle), so that the time before now is paid at the old rate.
func (b *tokenBucket) retune(rate, burst float64) {
	b.rate, b.burst = rate, burst
	b.tokens = min(b.tokens, burst)
}
