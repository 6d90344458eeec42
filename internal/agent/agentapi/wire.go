// Package agentapi is the wire format of `mediaprobe agent` and the client
// that speaks it (Remote, a vantage.Vantage). It imports no metrics or
// server code, so the provider can use it without pulling them in.
//
// The protocol: POST VerifyPath with a vantage.Request as JSON and
// "Authorization: Bearer <token>". A refusal is a non-200 status with an
// ErrorBody. A run is a 200 with an NDJSON stream (ContentType) of Lines:
// zero or more "progress" lines (the report so far, every 10 s by
// default), then exactly one "report" line with the final report and, when
// the run ended before every check passed, its error.
package agentapi

import "github.com/mediareach/terraform-provider-media/internal/verify"

// Paths served by the agent.
const (
	VerifyPath  = "/v1/verify"
	HealthPath  = "/healthz"
	MetricsPath = "/metrics"
)

// ContentType is the media type of the verify stream.
const ContentType = "application/x-ndjson"

// MaxRequestBytes caps a verify request body.
const MaxRequestBytes = 1 << 20

// Line types of the verify stream.
const (
	LineProgress = "progress"
	LineReport   = "report"
)

// Line is one line of the verify stream.
type Line struct {
	Type   string         `json:"type"` // LineProgress or LineReport
	Report *verify.Report `json:"report,omitempty"`
	// Error is set on the report line when the run ended before every
	// check passed (the request's timeout, a cancel, a shutdown).
	Error string `json:"error,omitempty"`
	// Stop says why such a run ended: StopTimeout when the request's
	// timeout ran out, StopRefused when the host resolved only after
	// retries and the agent may not probe it, "" otherwise (a cancel, a
	// shutdown, an older agent).
	Stop string `json:"stop,omitempty"`
	// Reason is a refusal's Reason* code, with StopRefused.
	Reason string `json:"reason,omitempty"`
}

// StopTimeout marks a run that used all its time: the report's rows say
// which checks never passed and why, and nothing is wrong with the agent.
const StopTimeout = "timeout"

// StopRefused marks a run refused after the 200 went out: its host
// resolved only after retries (see the agent's resolve loop), to an
// address outside the allowlist or too many addresses. Error says which,
// as a 403 or 400 body would; Reason holds the refusal's code.
const StopRefused = "refused"

// ErrorBody is the JSON body of a refusal (any status but 200).
type ErrorBody struct {
	// Reason is a stable code: one of the Reason* constants.
	Reason string `json:"reason"`
	// Error says what was refused and why, without echoing secrets.
	Error string `json:"error"`
}

// Refusal reasons.
const (
	ReasonUnauthorized = "unauthorized"  // 401: no token or a wrong one
	ReasonBadRequest   = "bad_request"   // 400: not a valid request
	ReasonTooLarge     = "too_large"     // 413: body over MaxRequestBytes
	ReasonLimit        = "limit"         // 400: over a per-request cap
	ReasonForbidden    = "forbidden"     // 403: a target address outside the allowlist
	ReasonBusy         = "busy"          // 429: the token's concurrency is used up
	ReasonRate         = "rate"          // 429: the token's request rate is used up
	ReasonMethod       = "method"        // 405
	ReasonShuttingDown = "shutting_down" // 503
)
