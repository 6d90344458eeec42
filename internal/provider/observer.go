package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mediareach/terraform-provider-media/internal/verify"
)

var _ verify.Observer = tflogObserver{}

// tflogObserver turns engine events into tflog entries (TF_LOG=DEBUG shows
// every attempt). The context carries the operation's logger and its fields.
type tflogObserver struct {
	ctx  context.Context
	hook func(verify.Event) // tests only; nil otherwise
}

// withLogFields sets the fields every entry of one verification carries.
func withLogFields(ctx context.Context, host string) context.Context {
	ctx = tflog.SetField(ctx, "host", host)
	return tflog.SetField(ctx, "vantage", vantageLocal)
}

func (o tflogObserver) AttemptDone(e verify.Event) {
	r := e.Result
	fields := map[string]any{
		"check":     e.Check,
		"port":      int(e.Port),
		"attempt":   e.Attempt,
		"protocol":  r.Protocol,
		"transport": r.Transport,
		"address":   r.Address,
		"status":    r.Status.String(),
		"rtt_ms":    float64(r.RTT) / float64(time.Millisecond),
	}
	if r.Cause != "" {
		fields["cause"] = r.Cause
	}
	if r.Err != nil {
		fields["error"] = r.Err.Error()
	}
	if r.MappedAddress != "" {
		fields["mapped_address"] = r.MappedAddress
	}
	if r.Detail != "" {
		fields["detail"] = r.Detail
	}
	tflog.Debug(o.ctx, "probe attempt finished", fields)
	if o.hook != nil {
		o.hook(e)
	}
}
