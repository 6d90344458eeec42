package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestParseRespondFlags(t *testing.T) {
	const rate, burst, perSource = defaultUDPRate, defaultUDPBurst, defaultTCPConnsPerSource
	valid := []struct {
		name string
		args []string
		want respondConfig
	}{
		{
			name: "defaults",
			args: []string{"--udp", "3478"},
			want: respondConfig{
				udp: []uint16{3478}, ttl: defaultTTL, logLevel: hclog.Info,
				udpRate: rate, udpBurst: burst, tcpPerSource: perSource,
			},
		},
		{
			name: "lists and ranges",
			args: []string{"--udp", "3478,10000-10003", "--tcp", "443, 3478"},
			want: respondConfig{
				udp: []uint16{3478, 10000, 10001, 10002, 10003}, tcp: []uint16{443, 3478},
				ttl: defaultTTL, logLevel: hclog.Info, udpRate: rate, udpBurst: burst, tcpPerSource: perSource,
			},
		},
		{
			name: "every option, single dashes",
			args: []string{
				"-tcp", "5349", "-listen", "127.0.0.1", "-tls-cert", "c.pem", "-tls-key", "k.pem",
				"-ttl", "0", "-log-level", "debug", "-udp-rate", "50.5", "-udp-burst", "10", "-tcp-conns-per-source", "4",
			},
			want: respondConfig{
				tcp: []uint16{5349}, listen: "127.0.0.1", tlsCert: "c.pem", tlsKey: "k.pem",
				ttl: 0, logLevel: hclog.Debug, udpRate: 50.5, udpBurst: 10, tcpPerSource: 4,
			},
		},
		{
			name: "ipv6 listen address",
			args: []string{"--udp", "3478", "--listen", "::", "--ttl", "90s"},
			want: respondConfig{
				udp: []uint16{3478}, listen: "::", ttl: 90 * time.Second, logLevel: hclog.Info,
				udpRate: rate, udpBurst: burst, tcpPerSource: perSource,
			},
		},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRespondFlags(tt.args, io.Discard)
			if err != nil {
				t.Fatalf("parseRespondFlags(%q): %v", tt.args, err)
			}
			if !slices.Equal(got.udp, tt.want.udp) || !slices.Equal(got.tcp, tt.want.tcp) {
				t.Errorf("ports udp=%v tcp=%v, want udp=%v tcp=%v", got.udp, got.tcp, tt.want.udp, tt.want.tcp)
			}
			if got.listen != tt.want.listen || got.tlsCert != tt.want.tlsCert || got.tlsKey != tt.want.tlsKey ||
				got.ttl != tt.want.ttl || got.logLevel != tt.want.logLevel {
				t.Errorf("got listen=%q cert=%q key=%q ttl=%s level=%s, want listen=%q cert=%q key=%q ttl=%s level=%s",
					got.listen, got.tlsCert, got.tlsKey, got.ttl, got.logLevel,
					tt.want.listen, tt.want.tlsCert, tt.want.tlsKey, tt.want.ttl, tt.want.logLevel)
			}
			if got.udpRate != tt.want.udpRate || got.udpBurst != tt.want.udpBurst || got.tcpPerSource != tt.want.tcpPerSource {
				t.Errorf("got udp-rate=%v udp-burst=%d tcp-conns-per-source=%d, want %v, %d, %d",
					got.udpRate, got.udpBurst, got.tcpPerSource, tt.want.udpRate, tt.want.udpBurst, tt.want.tcpPerSource)
			}
		})
	}

	t.Run("port cap is inclusive", func(t *testing.T) {
		got, err := parseRespondFlags([]string{"--udp", "1-15000", "--tcp", "1-5000"}, io.Discard)
		if err != nil {
			t.Fatalf("exactly %d ports: %v", maxPorts, err)
		}
		if n := len(got.udp) + len(got.tcp); n != maxPorts {
			t.Errorf("%d ports, want %d", n, maxPorts)
		}
	})

	invalid := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no ports", nil, "no ports"},
		{"empty port lists", []string{"--udp", "", "--tcp", " "}, "no ports"},
		{"port zero", []string{"--udp", "0"}, `--udp: port spec "0": invalid port "0"`},
		{"port too large", []string{"--tcp", "443,70000"}, `--tcp: port spec "443,70000": invalid port "70000"`},
		{"reversed range", []string{"--udp", "10100-10000"}, "reversed"},
		{"not a number", []string{"--udp", "stun"}, `invalid port "stun"`},
		{"one list over the cap", []string{"--udp", "1-20001"}, "more than 20000 ports"},
		{"both lists over the cap", []string{"--udp", "1-15000", "--tcp", "1-5001"}, "15000 UDP and 5001 TCP ports are 20001 sockets; at most 20000"},
		{"host name to listen on", []string{"--udp", "3478", "--listen", "localhost"}, `--listen "localhost": want an IP address`},
		{"cert without key", []string{"--tcp", "443", "--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{"key without cert", []string{"--tcp", "443", "--tls-key", "k.pem"}, "--tls-cert and --tls-key go together"},
		{"tls without tcp ports", []string{"--udp", "3478", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, "applies to --tcp ports"},
		{"negative ttl", []string{"--udp", "3478", "--ttl", "-1s"}, "--ttl -1s"},
		{"bad ttl", []string{"--udp", "3478", "--ttl", "15"}, `invalid value "15" for flag -ttl`},
		{"bad log level", []string{"--udp", "3478", "--log-level", "loud"}, `--log-level "loud"`},
		{"zero udp rate", []string{"--udp", "3478", "--udp-rate", "0"}, "--udp-rate 0: want answers per second above 0"},
		{"negative udp rate", []string{"--udp", "3478", "--udp-rate", "-5"}, "--udp-rate -5"},
		{"NaN udp rate", []string{"--udp", "3478", "--udp-rate", "NaN"}, "--udp-rate NaN"},
		{"zero udp burst", []string{"--udp", "3478", "--udp-burst", "0"}, "--udp-burst 0: want 1 or more"},
		{"zero tcp conns per source", []string{"--tcp", "443", "--tcp-conns-per-source", "0"}, "--tcp-conns-per-source 0: want 1 or more"},
		{"positional argument", []string{"--udp", "3478", "443"}, `unexpected argument "443"`},
		{"unknown flag", []string{"--stun", "3478"}, "flag provided but not defined: -stun"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRespondFlags(tt.args, io.Discard)
			if err == nil {
				t.Fatalf("parseRespondFlags(%q) succeeded, want an error containing %q", tt.args, tt.wantErr)
			}
			if _, ok := errors.AsType[*usageError](err); !ok {
				t.Errorf("error %v is %T, want *usageError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestRespondEndToEnd runs `mediaprobe respond` in-process on loopback and
// sends it STUN Binding requests over UDP and TCP.
func TestRespondEndToEnd(t *testing.T) {
	udpPort := testnet.ClosedPort(t, "udp")
	tcpPort := testnet.ClosedPort(t, "tcp")
	r := startRespond(t, "respond", "--listen", "127.0.0.1", "--log-level", "debug",
		"--udp", strconv.Itoa(int(udpPort)), "--tcp", strconv.Itoa(int(tcpPort)))
	r.waitListening(t)

	start := r.out.String()
	for _, want := range []string{
		fmt.Sprintf("udp=%d udp_sockets=1", udpPort),
		fmt.Sprintf("tcp=%d tcp_sockets=1 tls=false", tcpPort),
		"address=127.0.0.1", "ttl=15m0s",
	} {
		if !strings.Contains(start, want) {
			t.Errorf("start line lacks %q:\n%s", want, start)
		}
	}

	t.Run("udp", func(t *testing.T) {
		c := dial(t, "udp", addr(udpPort))
		testnet.STUNExchange(t, c)
	})
	t.Run("tcp", func(t *testing.T) {
		c := dial(t, "tcp", addr(tcpPort))
		testnet.STUNExchange(t, c)
		testnet.STUNExchange(t, c) // a stream carries more than one request
	})

	if code := r.stop(t); code != exitOK {
		t.Errorf("exit code %d after cancel, want %d", code, exitOK)
	}
	out := r.out.String()
	for _, want := range []string{"STUN binding request: from=127.0.0.1:", `stopped: reason="context canceled" requests=3`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestRespondPerSourceLimits: --udp-rate, --udp-burst and
// --tcp-conns-per-source reach the responder, and the stop line counts
// what they turned away.
func TestRespondPerSourceLimits(t *testing.T) {
	udpPort := testnet.ClosedPort(t, "udp")
	tcpPort := testnet.ClosedPort(t, "tcp")
	r := startRespond(t, "respond", "--listen", "127.0.0.1",
		"--udp", strconv.Itoa(int(udpPort)), "--udp-rate", "0.000001", "--udp-burst", "1",
		"--tcp", strconv.Itoa(int(tcpPort)), "--tcp-conns-per-source", "1")
	r.waitListening(t)
	if want := "udp_rate=1e-06 udp_burst=1"; !strings.Contains(r.out.String(), want) {
		t.Errorf("start line lacks %q:\n%s", want, r.out.String())
	}

	c := dial(t, "udp", addr(udpPort))
	testnet.STUNExchange(t, c)
	if _, err := c.Write(bindingRequestRaw(t)); err != nil {
		t.Fatal(err)
	}
	// Another source is answered, after the request above was dropped:
	// one socket is served in order.
	testnet.STUNExchange(t, dialFrom(t, "udp", "127.0.0.2", addr(udpPort)))

	held := dial(t, "tcp", addr(tcpPort))
	testnet.STUNExchange(t, held)
	over := dial(t, "tcp", addr(tcpPort))
	_ = over.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := over.Read(make([]byte, 1)); err == nil {
		t.Errorf("second connection from one source: read %d bytes, want it closed", n)
	}

	if code := r.stop(t); code != exitOK {
		t.Errorf("exit code %d, want %d", code, exitOK)
	}
	if want := "requests=3 limited=2"; !strings.Contains(r.out.String(), want) {
		t.Errorf("stop line lacks %q:\n%s", want, r.out.String())
	}
}

// TestRespondTLS serves STUN over TLS with a certificate from files.
func TestRespondTLS(t *testing.T) {
	certFile, keyFile, roots := writeCert(t)
	tcpPort := testnet.ClosedPort(t, "tcp")
	r := startRespond(t, "respond", "--listen", "127.0.0.1", "--tcp", strconv.Itoa(int(tcpPort)),
		"--tls-cert", certFile, "--tls-key", keyFile)
	r.waitListening(t)
	if !strings.Contains(r.out.String(), "tls=true") {
		t.Errorf("start line does not say tls=true:\n%s", r.out.String())
	}

	d := tls.Dialer{Config: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr(tcpPort))
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	testnet.STUNExchange(t, c)

	if code := r.stop(t); code != exitOK {
		t.Errorf("exit code %d, want %d", code, exitOK)
	}
}

func TestRespondStopsAfterTTL(t *testing.T) {
	r := startRespond(t, "respond", "--listen", "127.0.0.1", "--udp", strconv.Itoa(int(testnet.ClosedPort(t, "udp"))), "--ttl", "50ms")
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after a 50ms TTL:\n%s", r.out.String())
	}
	if r.code != exitOK {
		t.Errorf("exit code %d, want %d", r.code, exitOK)
	}
	if want := `stopped: reason="ttl expired after 50ms"`; !strings.Contains(r.out.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, r.out.String())
	}
}

// TestRespondTTLWarning: only --ttl 0 warns that it runs until stopped.
func TestRespondTTLWarning(t *testing.T) {
	const warning = "[WARN]  mediaprobe: --ttl 0: runs until stopped (SIGINT or SIGTERM) and answers anyone the per-source limits allow"
	for _, tt := range []struct {
		ttl  []string
		warn bool
	}{
		{ttl: []string{"--ttl", "0"}, warn: true},
		{ttl: nil, warn: false}, // the default, 15m
		{ttl: []string{"--ttl", "1h"}, warn: false},
	} {
		t.Run(fmt.Sprint(tt.ttl), func(t *testing.T) {
			args := append([]string{"respond", "--listen", "127.0.0.1", "--udp", strconv.Itoa(int(testnet.ClosedPort(t, "udp")))}, tt.ttl...)
			r := startRespond(t, args...)
			r.waitListening(t)
			if got := strings.Contains(r.out.String(), warning); got != tt.warn {
				t.Errorf("warned %v, want %v:\n%s", got, tt.warn, r.out.String())
			}
		})
	}
}

// TestRespondPortTaken: a port in use is a clear error naming protocol and
// port, exit code 1, and nothing stays bound.
func TestRespondPortTaken(t *testing.T) {
	var lc net.ListenConfig
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			other := map[string]string{"udp": "tcp", "tcp": "udp"}[network]
			var port uint16 // taken by a socket of ours until cleanup
			if network == "udp" {
				port = testnet.Port(testnet.ListenUDP(t, "127.0.0.1").LocalAddr())
			} else {
				port = testnet.Port(testnet.ListenTCP(t, "127.0.0.1").Addr())
			}

			// A free port of the other protocol is bound too: it must be
			// released when the taken one fails.
			otherPort := testnet.ClosedPort(t, other)
			args := []string{
				"respond", "--listen", "127.0.0.1", "--" + network, strconv.Itoa(int(port)),
				"--" + other, strconv.Itoa(int(otherPort)),
			}

			var stdout, stderr bytes.Buffer
			code := run(t.Context(), args, &stdout, &stderr)
			if code != exitError {
				t.Errorf("exit code %d, want %d", code, exitError)
			}
			want := fmt.Sprintf("cannot bind %s port %d on 127.0.0.1: address already in use (another process", network, port)
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
			if strings.Contains(stderr.String(), "listening") {
				t.Errorf("logged a start line although a port was taken:\n%s", stderr.String())
			}
			var rebind io.Closer
			var err error
			if other == "udp" {
				rebind, err = lc.ListenPacket(t.Context(), "udp", addr(otherPort))
			} else {
				rebind, err = lc.Listen(t.Context(), "tcp", addr(otherPort))
			}
			if err != nil {
				t.Fatalf("%s port %d still bound after the failed start: %v", other, otherPort, err)
			}
			_ = rebind.Close()
		})
	}
}

func TestRespondBadCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	code := run(t.Context(), []string{
		"respond", "--listen", "127.0.0.1", "--tcp", strconv.Itoa(int(testnet.ClosedPort(t, "tcp"))),
		"--tls-cert", filepath.Join(dir, "missing.pem"), "--tls-key", filepath.Join(dir, "missing-key.pem"),
	}, io.Discard, &stderr)
	if code != exitError {
		t.Errorf("exit code %d, want %d", code, exitError)
	}
	if want := "loading --tls-cert " + filepath.Join(dir, "missing.pem"); !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
}
