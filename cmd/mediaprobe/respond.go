package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/mediareach/terraform-provider-media/internal/responder"
)

// maxPorts caps --udp and --tcp together. Every port is one socket, so a
// typo such as "1-65535" must not open tens of thousands of them.
const maxPorts = 20000

// defaultTTL stops a forgotten responder: it should not keep ports open
// after the check it was started for.
const defaultTTL = 15 * time.Minute

// The per-source limits, so that the responder is neither a reflector for
// requests with a spoofed source nor held by one client, yet never turns
// away the provider's own probes at its defaults.
const (
	// defaultUDPRate and defaultUDPBurst are four times the provider's
	// default max_probe_rate (500 attempts a second against a host): an
	// attempt is one request when answered within the probe's first
	// retransmission timeout (100ms), two or three over a path with a
	// longer round trip.
	defaultUDPRate  = 2000
	defaultUDPBurst = 2000
	// defaultTCPConnsPerSource is the provider's default max_concurrency,
	// the most probes one Terraform run has in flight; a quarter of
	// responder.DefaultMaxConns.
	defaultTCPConnsPerSource = 256
)

// respondConfig is the validated command line of `mediaprobe respond`.
type respondConfig struct {
	udpSpec, tcpSpec string // as given, for the start line
	udp, tcp         []uint16
	listen           string // "" = every interface, IPv4 and IPv6
	tlsCert, tlsKey  string
	ttl              time.Duration // 0 = until a signal
	logLevel         hclog.Level
	udpRate          float64 // UDP answers per second per source IP
	udpBurst         int
	tcpPerSource     int // TCP connections at once per source IP
}

// usageError is a bad command line: exit 2, with a pointer to -h.
// reported means the flag package has already printed it, with the usage.
type usageError struct {
	msg      string
	reported bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseFlags parses a subcommand's args, which take no positional
// argument (hint follows the message that names one). Errors are
// flag.ErrHelp or a *usageError.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, hint string) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error(), reported: true}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q%s", fs.Arg(0), hint)
	}
	return nil
}

// flagsExit is the exit code of a subcommand whose flags did not parse:
// help asked for, or a usage error said once on stderr. ok is true when the
// flags parsed and the subcommand runs.
func flagsExit(cmd string, err error, stderr io.Writer) (code int, ok bool) {
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	}
	if ue, isUsage := errors.AsType[*usageError](err); !isUsage || !ue.reported {
		fmt.Fprintf(stderr, "mediaprobe %s: %v\nRun 'mediaprobe %s -h' for usage.\n", cmd, err, cmd)
	}
	return exitUsage, false
}

// served is the exit code of a subcommand that ran: its error, if any, is
// logged.
func served(err error, log hclog.Logger) int {
	if err != nil {
		log.Error(err.Error())
		return exitError
	}
	return exitOK
}

func newRespondFlags(cfg *respondConfig, logLevel *string) *flag.FlagSet {
	fs := flag.NewFlagSet("mediaprobe respond", flag.ContinueOnError)
	fs.StringVar(&cfg.udpSpec, "udp", "", "UDP `ports` that answer STUN, such as 3478,10000-10100")
	fs.StringVar(&cfg.tcpSpec, "tcp", "", "TCP `ports` that accept connections and answer STUN, such as 443,3478")
	fs.StringVar(&cfg.listen, "listen", "", "IP `address` to bind, such as 0.0.0.0 or 127.0.0.1 (default every interface, IPv4 and IPv6)")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "PEM certificate `file`: every --tcp port then speaks TLS (needs --tls-key)")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key `file` for --tls-cert")
	fs.DurationVar(&cfg.ttl, "ttl", defaultTTL, "stop after this `duration`; 0 runs until SIGINT or SIGTERM")
	fs.Float64Var(&cfg.udpRate, "udp-rate", defaultUDPRate,
		"UDP answers per second to one source IP, a `rate`; requests beyond it are dropped, so that requests with a spoofed source cannot make this a reflector")
	fs.IntVar(&cfg.udpBurst, "udp-burst", defaultUDPBurst,
		"UDP answers one source IP may get at once, a `count`, before --udp-rate applies")
	fs.IntVar(&cfg.tcpPerSource, "tcp-conns-per-source", defaultTCPConnsPerSource,
		"TCP connections served at once for one source IP, a `count`; beyond it new ones are closed, so that one client cannot hold them all")
	fs.StringVar(logLevel, "log-level", "info", "log `level`: trace, debug, info, warn, error or off")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: mediaprobe respond --udp PORTS --tcp PORTS [flags]

Binds every listed port and answers STUN Binding requests on them (UDP, and
TCP or TLS streams); TCP ports also simply accept connections. It stops after
--ttl or on SIGINT/SIGTERM. At most %d ports in all.

Flags:
`, maxPorts)
		printFlags(fs)
	}
	return fs
}

// parseRespondFlags parses and validates the command line. Errors other
// than flag.ErrHelp are *usageError.
func parseRespondFlags(args []string, stderr io.Writer) (respondConfig, error) {
	var (
		cfg      respondConfig
		logLevel string
	)
	fs := newRespondFlags(&cfg, &logLevel)
	if err := parseFlags(fs, args, stderr, ": ports go in --udp and --tcp"); err != nil {
		return cfg, err
	}

	var err error
	if cfg.udp, err = responder.ParsePorts(cfg.udpSpec, maxPorts); err != nil {
		return cfg, usagef("--udp: %v", err)
	}
	if cfg.tcp, err = responder.ParsePorts(cfg.tcpSpec, maxPorts); err != nil {
		return cfg, usagef("--tcp: %v", err)
	}
	switch n := len(cfg.udp) + len(cfg.tcp); {
	case n == 0:
		return cfg, usagef("no ports: give --udp, --tcp or both, such as --udp 3478 --tcp 443")
	case n > maxPorts:
		return cfg, usagef("%d UDP and %d TCP ports are %d sockets; at most %d are allowed", len(cfg.udp), len(cfg.tcp), n, maxPorts)
	}

	if cfg.listen != "" {
		if _, err := netip.ParseAddr(cfg.listen); err != nil {
			return cfg, usagef("--listen %q: want an IP address such as 0.0.0.0, :: or 127.0.0.1", cfg.listen)
		}
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return cfg, usagef("--tls-cert and --tls-key go together")
	}
	if cfg.tlsCert != "" && len(cfg.tcp) == 0 {
		return cfg, usagef("--tls-cert applies to --tcp ports, and none are given")
	}
	if !(cfg.udpRate > 0) { // NaN too
		return cfg, usagef("--udp-rate %v: want answers per second above 0, such as %d", cfg.udpRate, defaultUDPRate)
	}
	if cfg.udpBurst < 1 {
		return cfg, usagef("--udp-burst %d: want 1 or more", cfg.udpBurst)
	}
	if cfg.tcpPerSource < 1 {
		return cfg, usagef("--tcp-conns-per-source %d: want 1 or more", cfg.tcpPerSource)
	}
	if cfg.ttl < 0 {
		return cfg, usagef("--ttl %s: want 0 (until a signal) or a positive duration such as 15m", cfg.ttl)
	}
	if cfg.logLevel = hclog.LevelFromString(logLevel); cfg.logLevel == hclog.NoLevel {
		return cfg, usagef("--log-level %q: want trace, debug, info, warn, error or off", logLevel)
	}
	return cfg, nil
}

// runRespond is `mediaprobe respond`: it serves until the TTL runs out or
// ctx ends, and returns the exit code.
func runRespond(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, err := parseRespondFlags(args, stderr)
	if code, ok := flagsExit("respond", err, stderr); !ok {
		return code
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "mediaprobe", Level: cfg.logLevel, Output: stderr})
	return served(respond(ctx, cfg, log), log)
}

// respond binds the ports, serves them and logs a start and a stop line.
func respond(ctx context.Context, cfg respondConfig, log hclog.Logger) error {
	var tlsConfig *tls.Config
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("loading --tls-cert %s and --tls-key %s: %w", cfg.tlsCert, cfg.tlsKey, err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	pcs, lns, err := responder.Listen(ctx, cfg.udp, cfg.tcp, cfg.listen, tlsConfig)
	if err != nil {
		return fmt.Errorf("cannot bind %w%s", err, bindHint(err))
	}

	if cfg.ttl > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.ttl, fmt.Errorf("ttl expired after %s", cfg.ttl))
		defer cancel()
	}
	var requests, limited atomic.Int64
	debug := log.IsDebug()
	opts := responder.Options{
		UDPRate:           cfg.udpRate,
		UDPBurst:          cfg.udpBurst,
		MaxConnsPerSource: cfg.tcpPerSource,
		OnRequest: func(from net.Addr) {
			requests.Add(1)
			if debug {
				log.Debug("STUN binding request", "from", from.String())
			}
		},
		OnLimited: func(from net.Addr) {
			limited.Add(1)
			if debug {
				log.Debug("turned away by a per-source limit", "from", from.String())
			}
		},
	}

	if cfg.ttl == 0 {
		log.Warn("--ttl 0: runs until stopped (SIGINT or SIGTERM) and answers anyone the per-source limits " +
			"allow; give --ttl so that a forgotten responder does not keep ports open")
	}
	start := time.Now()
	log.Info("listening", startFields(cfg)...)
	err = responder.Serve(ctx, pcs, lns, opts)
	reason := "socket error"
	if err == nil {
		reason = context.Cause(ctx).Error()
	}
	log.Info("stopped", "reason", reason, "requests", requests.Load(), "limited", limited.Load(),
		"uptime", time.Since(start).Round(time.Millisecond).String())
	if err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// startFields describes what is served, for the start line.
func startFields(cfg respondConfig) []any {
	listen := cfg.listen
	if listen == "" {
		listen = "every interface"
	}
	ttl := "until signal"
	if cfg.ttl > 0 {
		ttl = cfg.ttl.String()
	}
	var f []any
	if len(cfg.udp) > 0 {
		f = append(f, "udp", strings.ReplaceAll(cfg.udpSpec, " ", ""), "udp_sockets", len(cfg.udp),
			"udp_rate", cfg.udpRate, "udp_burst", cfg.udpBurst)
	}
	if len(cfg.tcp) > 0 {
		f = append(f, "tcp", strings.ReplaceAll(cfg.tcpSpec, " ", ""), "tcp_sockets", len(cfg.tcp), "tls", cfg.tlsCert != "",
			"tcp_conns_per_source", cfg.tcpPerSource)
	}
	return append(f, "address", listen, "ttl", ttl)
}

// bindHint suggests a fix for common bind errors.
func bindHint(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return " (another process, perhaps the media server itself, already listens there)"
	case errors.Is(err, syscall.EACCES):
		return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return " (--listen must be an address of this machine)"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return " (every port is one file descriptor: raise the limit with ulimit -n, or open fewer ports)"
	}
	return ""
}
