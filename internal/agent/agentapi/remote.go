package agentapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/vantage"
	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// RemoteOptions configures a Remote.
type RemoteOptions struct {
	// Name is the vantage name the results carry, such as "eu-1".
	Name string
	// URL is the agent's base URL, such as https://agent.example.com:8443.
	// Plain http is accepted only for a loopback host (tests).
	URL string
	// Token is the bearer token; it is never put in an error.
	Token string
	// CACertPEM, if set, is the only CA trusted for the agent's
	// certificate; else the system roots.
	CACertPEM string
	// ClientCertPEM and ClientKeyPEM, both or neither, are the client
	// certificate presented to an agent that runs with --client-ca. The
	// key is never put in an error.
	ClientCertPEM, ClientKeyPEM string
	// MaxRuns caps the Verify calls in flight to the agent; the rest wait
	// for a slot. 0 means DefaultMaxRuns. Set it to the agent's
	// --max-runs-per-token, beyond which the agent answers 429 busy.
	MaxRuns int
}

// Remote is a vantage point that runs the verification on a
// `mediaprobe agent`.
type Remote struct {
	name     string
	endpoint string // base URL + VerifyPath
	base     string // base URL, for messages
	token    string
	client   *http.Client
	// slots holds one token per Verify in flight; its capacity is MaxRuns.
	slots chan struct{}
}

var _ vantage.Vantage = (*Remote)(nil)

// maxLineBytes caps one stream line (a report of many rows).
const maxLineBytes = 16 << 20

// NewRemote checks o and returns the client. It opens no connection.
func NewRemote(o RemoteOptions) (*Remote, error) {
	if o.Name == "" {
		return nil, errors.New("agent: a name is required")
	}
	if o.Name == vantage.LocalName {
		return nil, fmt.Errorf("agent %q: that name is reserved for the machine running Terraform", o.Name)
	}
	if o.Token == "" {
		return nil, fmt.Errorf("agent %q: no token", o.Name)
	}
	if strings.ContainsAny(o.Token, "\r\n") {
		return nil, fmt.Errorf("agent %q: the token contains a line break", o.Name)
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("agent %q: url %q: want an https URL such as https://agent.example.com:8443", o.Name, o.URL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("agent %q: the url must not carry credentials: give the token separately", o.Name)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("agent %q: url %s: plain http is allowed only to a loopback address; use https", o.Name, u.Redacted())
		}
	default:
		return nil, fmt.Errorf("agent %q: url %s: want https", o.Name, u.Redacted())
	}
	u.RawQuery, u.Fragment = "", ""
	base := strings.TrimSuffix(u.String(), "/")

	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("agent: http.DefaultTransport is not an *http.Transport")
	}
	tr = tr.Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CACertPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(o.CACertPEM)) {
			return nil, fmt.Errorf("agent %q: ca_cert_pem holds no PEM certificate", o.Name)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	pair, err := ClientKeyPair(o.ClientCertPEM, o.ClientKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("agent %q: %w", o.Name, err)
	}
	if pair.Certificate != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{pair}
	}
	client := &http.Client{
		Transport: tr,
		// Never follow a redirect: it could carry the token elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if o.MaxRuns < 0 {
		return nil, fmt.Errorf("agent %q: max runs %d: want 1 or more, or 0 for %d", o.Name, o.MaxRuns, DefaultMaxRuns)
	}
	if o.MaxRuns == 0 {
		o.MaxRuns = DefaultMaxRuns
	}
	return &Remote{name: o.Name, endpoint: base + VerifyPath, base: base, token: o.Token, client: client,
		slots: make(chan struct{}, o.MaxRuns)}, nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}

// Name returns the vantage name.
func (r *Remote) Name() string { return r.name }

// MaxRuns returns how many Verify calls the Remote sends its agent at once.
func (r *Remote) MaxRuns() int { return cap(r.slots) }

// Verify sends req to the agent and reads its stream: progress goes to
// w.Progress, and the final report comes back with every row's Vantage set
// to Name. It first waits for one of MaxRuns slots, and on a 429 with a
// Retry-After it waits and sends again while ctx's deadline leaves room
// (see send). When req has no Timeout, ctx's deadline less a margin, as it
// stands when each request goes out, is sent as one (see runTimeout).
// Ending ctx cancels the HTTP request, which ends the run on the agent.
func (r *Remote) Verify(ctx context.Context, req vantage.Request, w vantage.Watcher) (verify.Report, error) {
	empty := verify.Report{Vantage: r.name, Host: req.Host}
	release, err := r.acquire(ctx)
	if err != nil {
		return empty, err
	}
	defer release()
	// The requests' own context, which drain ends should the stream go on.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := r.send(rctx, req)
	if err != nil {
		return empty, err
	}
	defer resp.Body.Close()
	rep, err := r.read(ctx, resp.Body, w, empty)
	drain(resp.Body, cancel)
	return rep, err
}

// post sends req once and returns the agent's answer, whatever its status.
func (r *Remote) post(ctx context.Context, req vantage.Request) (*http.Response, error) {
	if req.Timeout <= 0 {
		if d, ok := ctx.Deadline(); ok {
			req.Timeout = runTimeout(time.Until(d))
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("agent %q: encoding the request: %w", r.name, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("agent %q (%s): %w", r.name, r.base, err)
	}
	hr.Header.Set("Authorization", "Bearer "+r.token)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", ContentType)
	resp, err := r.client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("agent %q (%s): stopped before an answer: %w", r.name, r.base, ctx.Err())
		}
		if clientCertRefused(err) {
			return nil, fmt.Errorf("agent %q (%s) refused the client certificate in the TLS handshake (%w): "+
				"check client_cert_pem and client_key_pem against the CA the agent's --client-ca names", r.name, r.base, scrub(err))
		}
		return nil, fmt.Errorf("agent %q (%s) unreachable: %w", r.name, r.base, scrub(err))
	}
	return resp, nil
}

// maxReportMargin caps the time runTimeout keeps for the final report.
const maxReportMargin = time.Second

// runTimeout is how long the agent may run when remaining is left before
// ctx ends: a tenth less, at most maxReportMargin less, so that the agent
// stops first and its final report (which checks failed, and why) arrives
// while the request still stands. Told the whole remaining time, the agent
// and ctx end together and the report is lost (found by the network lab).
func runTimeout(remaining time.Duration) time.Duration {
	return max(remaining-min(remaining/10, maxReportMargin), time.Millisecond)
}

// scrub drops the *url.Error wrapper, whose text repeats the URL; the
// message names the agent and its base URL instead.
func scrub(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// refusal turns a non-200 answer into an error that says what the agent said.
func (r *Remote) refusal(resp *http.Response) error {
	var eb ErrorBody
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	said := ""
	if json.Unmarshal(raw, &eb) == nil && eb.Error != "" {
		said = eb.Error
	}
	who := fmt.Sprintf("agent %q (%s)", r.name, r.base)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%s refused the token (401): check the token configured for it against the agent's token file", who)
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s refused the target (403): %s", who, orStatus(said, resp))
	case resp.StatusCode == http.StatusTooManyRequests:
		retry := orDefault(resp.Header.Get("Retry-After"), "a few ")
		if eb.Reason == ReasonRate {
			return fmt.Errorf("%s refused the request: the token's request rate is used up (429, %s): %s; retry after %ss",
				who, ReasonRate, orStatus(said, resp), retry)
		}
		return fmt.Errorf("%s is busy: the token's verifications at once are used up (429, %s): %s; retry after %ss",
			who, orDefault(eb.Reason, ReasonBusy), orStatus(said, resp), retry)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("%s answered with a redirect (%s), which is never followed: check the url", who, resp.Status)
	default:
		return fmt.Errorf("%s refused the request (%s): %s", who, resp.Status, orStatus(said, resp))
	}
}

func orStatus(said string, resp *http.Response) string {
	if said != "" {
		return said
	}
	return "no reason given (" + resp.Status + ")"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// read follows the stream to its report line.
func (r *Remote) read(ctx context.Context, body io.Reader, w vantage.Watcher, last verify.Report) (verify.Report, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	for sc.Scan() {
		var ln Line
		if err := json.Unmarshal(sc.Bytes(), &ln); err != nil || ln.Report == nil {
			return last, fmt.Errorf("agent %q (%s): bad stream: a line is not a progress or report line", r.name, r.base)
		}
		rep := stamp(*ln.Report, r.name)
		switch ln.Type {
		case LineProgress:
			last = rep
			if w.Progress != nil {
				w.Progress(rep)
			}
		case LineReport:
			if ln.Error != "" {
				if ln.Stop == StopRefused {
					// As a 403 or 400 would say it, had the name resolved at once.
					return rep, fmt.Errorf("agent %q (%s) refused the target once it resolved (%s): %s",
						r.name, r.base, ln.Reason, ln.Error)
				}
				if ln.Stop == StopTimeout {
					// The run used the time it was given: a verdict on
					// the checks, as a local run's timeout is.
					return rep, fmt.Errorf("agent %q: %s: %w", r.name, ln.Error, context.DeadlineExceeded)
				}
				if ctx.Err() != nil {
					return rep, fmt.Errorf("agent %q: %s: %w", r.name, ln.Error, ctx.Err())
				}
				return rep, fmt.Errorf("agent %q: %s", r.name, ln.Error)
			}
			return rep, nil
		default:
			return last, fmt.Errorf("agent %q (%s): bad stream: unknown line type %q", r.name, r.base, ln.Type)
		}
	}
	if ctx.Err() != nil {
		return last, fmt.Errorf("agent %q: verification stopped before every check passed: %w", r.name, ctx.Err())
	}
	err := sc.Err()
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return last, fmt.Errorf("agent %q (%s): bad stream: it ended before the final report: %w", r.name, r.base, scrubNet(err))
}

func scrubNet(err error) error {
	if oe, ok := errors.AsType[*net.OpError](err); ok {
		return oe.Err
	}
	return err
}

// stamp sets the report's and every row's Vantage to name.
func stamp(rep verify.Report, name string) verify.Report {
	rep.Vantage = name
	for i := range rep.Results {
		rep.Results[i].Vantage = name
	}
	return rep
}
