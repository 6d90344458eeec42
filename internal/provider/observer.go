package provider

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
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
func withLogFields(ctx context.Context, host, vantageName string) context.Context {
	ctx = tflog.SetField(ctx, "host", host)
	return tflog.SetField(ctx, "vantage", vantageName)
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
	if r.Error != "" {
		fields["error"] = r.Error
	}
	if r.Code != "" {
		fields["code"] = string(r.Code)
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

// maxRowsInProgress bounds the failing rows one progress line names.
const maxRowsInProgress = 5

// progressLine says what a verification still waits for, e.g. `still
// verifying sfu-1.example.net after 20s: stun/udp 203.0.113.10:3478 filtered
// after 390 attempts; 3 of 4 results passed`.
func progressLine(rep verify.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "still verifying %s after %s:", rep.Host, fmtDuration(rep.Elapsed))
	failing, passed := 0, 0
	for _, r := range rep.Results {
		if r.Passed {
			passed++
			continue
		}
		failing++
		if failing > maxRowsInProgress {
			continue
		}
		if failing > 1 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s", protocolLabel(r))
		if r.Ports == 1 && len(r.FailingPorts) == 1 {
			fmt.Fprintf(&b, " %s %s", netip.AddrPortFrom(r.Address, r.FailingPorts[0]), statusWord(r.Status))
		} else {
			fmt.Fprintf(&b, " %s ports %s %s on %d of %d ports", r.Address, r.Label, statusWord(r.Status),
				len(r.FailingPorts)-r.Unprobed, r.Ports)
		}
		fmt.Fprintf(&b, " after %s", plural(r.Attempts, "attempt"))
	}
	if failing > maxRowsInProgress {
		fmt.Fprintf(&b, "; and %d more failing", failing-maxRowsInProgress)
	}
	fmt.Fprintf(&b, "; %d of %d results passed", passed, len(rep.Results))
	return b.String()
}
