package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/mediareach/terraform-provider-media/internal/agent"
)

// shutdownGrace bounds how long SIGTERM waits for in-flight runs to write
// their partial report once they have been told to stop.
const shutdownGrace = 30 * time.Second

// agentConfig is the validated command line of `mediaprobe agent`.
type agentConfig struct {
	listen          string
	tlsCert, tlsKey string
	clientCA        string
	allow           []string
	tokenFile       string
	name            string
	jsonLogs        bool
	logLevel        hclog.Level
	limits          agent.Limits
}

func newAgentFlags(cfg *agentConfig, allow, logFormat, logLevel *string) *flag.FlagSet {
	fs := flag.NewFlagSet("mediaprobe agent", flag.ContinueOnError)
	fs.StringVar(&cfg.listen, "listen", "", "`address` to serve on, such as 0.0.0.0:8443 or 127.0.0.1:8080")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "PEM certificate `file` for HTTPS (needs --tls-key); without it, only a loopback --listen is allowed")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key `file` for --tls-cert")
	fs.StringVar(&cfg.clientCA, "client-ca", "", "PEM CA certificates `file`: require a client certificate signed by one of them (mutual TLS, beside the token; needs --tls-cert)")
	fs.StringVar(allow, "allow", "", "comma-separated `targets` the agent may probe: CIDRs, IPs or host names, such as 203.0.113.0/24,turn.example.com (required)")
	fs.StringVar(&cfg.tokenFile, "token-file", "", "`file` of bearer tokens, one name:token per line (required)")
	fs.StringVar(&cfg.name, "name", "agent", "vantage `name` the reports carry, such as eu-west")
	fs.StringVar(logFormat, "log-format", "text", "log `format`: text or json")
	fs.StringVar(logLevel, "log-level", "info", "log `level`: trace, debug, info, warn, error or off")
	fs.IntVar(&cfg.limits.MaxChecks, "max-checks", agent.DefaultMaxChecks, "checks one request may hold, a `count`")
	fs.IntVar(&cfg.limits.MaxPorts, "max-ports", agent.DefaultMaxPorts, "ports one request may probe over all its checks, a `count`")
	fs.DurationVar(&cfg.limits.MaxTimeout, "max-timeout", agent.DefaultMaxTimeout, "longest a request may run, a `duration`; longer timeouts are cut to it")
	fs.IntVar(&cfg.limits.PerToken, "max-runs-per-token", agent.DefaultPerToken, "verifications one token may run at once, a `count`; beyond it, 429")
	fs.IntVar(&cfg.limits.PerMinute, "max-requests-per-minute", agent.DefaultPerMinute, "verify requests one token may send a minute, a `count` (a bucket that size, refilled at that rate; "+
		"the default fits a 500-server fleet in one apply, --max-runs-per-token bounds the load); beyond it, 429")
	fs.Float64Var(&cfg.limits.MaxProbeRate, "max-probe-rate", agent.DefaultMaxProbeRate, "attempt starts per second against one host, a `rate`, at most")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: mediaprobe agent --listen ADDR --allow TARGETS --token-file FILE [--tls-cert FILE --tls-key FILE [--client-ca FILE]] [flags]

Serves verifications for the provider's remote vantage points: POST /v1/verify
(bearer token), GET /healthz and GET /metrics. It probes only targets whose
every address is inside --allow; loopback, link-local and cloud metadata
addresses only when an entry names them (such as 127.0.0.1/32). HTTPS unless
--listen is a loopback address and no certificate is given; with
--client-ca, callers also need a client certificate that CA signed. SIGTERM ends
in-flight runs, whose clients get their partial report, then stops.

Flags:
`)
		printFlags(fs)
	}
	return fs
}

// parseAgentFlags parses and validates the command line. Errors other
// than flag.ErrHelp are *usageError.
func parseAgentFlags(args []string, stderr io.Writer) (agentConfig, error) {
	var (
		cfg                        agentConfig
		allow, logFormat, logLevel string
	)
	fs := newAgentFlags(&cfg, &allow, &logFormat, &logLevel)
	if err := parseFlags(fs, args, stderr, ""); err != nil {
		return cfg, err
	}
	if cfg.listen == "" {
		return cfg, usagef("--listen is required, such as 0.0.0.0:8443")
	}
	host, _, err := net.SplitHostPort(cfg.listen)
	if err != nil {
		return cfg, usagef("--listen %q: want host:port, such as 0.0.0.0:8443", cfg.listen)
	}
	if allow = strings.TrimSpace(allow); allow == "" {
		return cfg, usagef("--allow is required: the agent probes nothing it is not allowed to")
	}
	cfg.allow = strings.Split(allow, ",")
	if cfg.tokenFile == "" {
		return cfg, usagef("--token-file is required: the agent serves only callers with a token")
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return cfg, usagef("--tls-cert and --tls-key go together")
	}
	if cfg.clientCA != "" && cfg.tlsCert == "" {
		return cfg, usagef("--client-ca needs --tls-cert and --tls-key: client certificates are checked in the TLS handshake")
	}
	if cfg.tlsCert == "" {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return cfg, usagef("--listen %s without --tls-cert: plain HTTP is allowed only on a loopback address", cfg.listen)
		}
	}
	switch logFormat {
	case "text":
	case "json":
		cfg.jsonLogs = true
	default:
		return cfg, usagef("--log-format %q: want text or json", logFormat)
	}
	if cfg.logLevel = hclog.LevelFromString(logLevel); cfg.logLevel == hclog.NoLevel {
		return cfg, usagef("--log-level %q: want trace, debug, info, warn, error or off", logLevel)
	}
	l := cfg.limits
	if l.MaxChecks < 1 || l.MaxPorts < 1 || l.MaxTimeout <= 0 || l.PerToken < 1 || l.PerMinute < 1 || !(l.MaxProbeRate > 0) {
		return cfg, usagef("--max-checks, --max-ports, --max-timeout, --max-runs-per-token, --max-requests-per-minute " +
			"and --max-probe-rate must be above 0")
	}
	return cfg, nil
}

// runAgent is `mediaprobe agent`: it serves until ctx ends, and returns the
// exit code.
func runAgent(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, err := parseAgentFlags(args, stderr)
	if code, ok := flagsExit("agent", err, stderr); !ok {
		return code
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "mediaprobe", Level: cfg.logLevel, Output: stderr, JSONFormat: cfg.jsonLogs})
	return served(serveAgent(ctx, cfg, log), log)
}

// serveAgent builds the agent, serves it and drains it when ctx ends.
func serveAgent(ctx context.Context, cfg agentConfig, log hclog.Logger) error {
	allow, err := agent.ParseAllowlist(cfg.allow)
	if err != nil {
		return fmt.Errorf("--allow: %w", err)
	}
	f, err := os.Open(cfg.tokenFile)
	if err != nil {
		return fmt.Errorf("--token-file: %w", err)
	}
	tokens, err := agent.ParseTokens(f)
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("--token-file %s: %w", cfg.tokenFile, err)
	}
	srv, err := agent.New(agent.Config{Name: cfg.name, Tokens: tokens, Allow: allow, Limits: cfg.limits, Log: log})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: a verification streams for as long as it runs.
		ErrorLog: log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("loading --tls-cert %s and --tls-key %s: %w", cfg.tlsCert, cfg.tlsKey, err)
		}
		var clientCA []byte
		if cfg.clientCA != "" {
			if clientCA, err = os.ReadFile(cfg.clientCA); err != nil {
				return fmt.Errorf("--client-ca: %w", err)
			}
		}
		if hs.TLSConfig, err = agent.TLSConfig(cert, clientCA); err != nil {
			return fmt.Errorf("--client-ca %s: %w", cfg.clientCA, err)
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w%s", cfg.listen, err, bindHint(err))
	}
	if hs.TLSConfig != nil {
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	log.Info("listening", "address", ln.Addr().String(), "name", cfg.name, "https", hs.TLSConfig != nil, "client_certs", cfg.clientCA != "",
		"allow", allow.String(), "tokens", len(tokens))

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: ending in-flight verifications")
	srv.Drain()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = hs.Shutdown(sctx)
	if serr := <-errc; err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr // Serve failed rather than being shut down
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
