package verify

import "time"

// tokenBucket caps attempt starts per second against one host. It holds at
// most one interval's worth of tokens, so a round never bursts past the rate.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

// newTokenBucket returns a bucket for rate starts per second; rate <= 0
// means no cap.
func newTokenBucket(rate float64, interval time.Duration, now time.Time) tokenBucket {
	if rate <= 0 {
		return tokenBucket{}
	}
	burst := max(1, rate*interval.Seconds())
	return tokenBucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// take spends one token if there is one at now.
func (b *tokenBucket) take(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
