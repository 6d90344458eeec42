package verify

import "context"

// Run verifies p and returns its report. The error is non-nil only when ctx
// ended before every check passed (it wraps ctx.Err()); the report then
// holds what was learned so far.
func Run(ctx context.Context, p Plan, d Deps) (Report, error) {
	panic("not implemented yet")
}
