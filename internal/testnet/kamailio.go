package testnet

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// kamailioSbin is where Debian installs kamailio.
const kamailioSbin = "/usr/sbin/kamailio"

// kamailioStarts bounds the attempts to start Kamailio on ports that
// another test may have taken between our search and its bind.
const kamailioStarts = 3

// kamailioCfg answers every OPTIONS with 200 OK, statelessly, and
// anything else with 405: a SIP server that keeps no transaction, dialog or
// registration. %[1]s holds the listen lines, %[2]s the TLS lines.
const kamailioCfg = `#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
dns=no
rev_dns=no
disable_sctp=yes
%[1]s
loadmodule "sl.so"
%[2]s
request_route {
	if (method == "OPTIONS") {
		sl_send_reply("200", "OK");
		exit;
	}
	sl_send_reply("405", "Method Not Allowed");
	exit;
}
`

// kamailioTLSCfg is the TLS module's own configuration file.
const kamailioTLSCfg = `[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = %s
private_key = %s
`

// Kamailio runs Debian's kamailio on 127.0.0.1 until cleanup, with a
// configuration that answers OPTIONS with 200 OK, and returns its UDP and
// TCP SIP ports. It skips (or fails, see SkipOrFail) without kamailio.
func Kamailio(tb testing.TB) (udpPort, tcpPort uint16) {
	tb.Helper()
	ports := startKamailio(tb, nil, nil)
	return ports[0], ports[1]
}

// KamailioTLS is Kamailio with SIP over TLS only, presenting certPEM and
// keyPEM (see Cert); it needs Debian's kamailio-tls-modules.
func KamailioTLS(tb testing.TB, certPEM, keyPEM []byte) uint16 {
	tb.Helper()
	return startKamailio(tb, certPEM, keyPEM)[0]
}

// startKamailio returns the ports it listens on: UDP and TCP, or TLS alone
// when certPEM is set.
func startKamailio(tb testing.TB, certPEM, keyPEM []byte) []uint16 {
	tb.Helper()
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		// Debian installs it in /usr/sbin, which a user's PATH may lack.
		bin, err = exec.LookPath(kamailioSbin)
	}
	if err != nil {
		SkipOrFail(tb, "kamailio not installed (Debian package kamailio): "+err.Error())
	}
	dir := tb.TempDir()
	for try := 1; ; try++ {
		var listen, tlsLines string
		var ports []uint16
		if certPEM == nil {
			ports = []uint16{freePorts(tb, "udp", 1), freePorts(tb, "tcp", 1)}
			listen = fmt.Sprintf("listen=udp:%s:%d\nlisten=tcp:%s:%d", loopback4, ports[0], loopback4, ports[1])
		} else {
			ports = []uint16{freePorts(tb, "tcp", 1)}
			listen = fmt.Sprintf("enable_tls=yes\nlisten=tls:%s:%d", loopback4, ports[0])
			tlsLines = fmt.Sprintf("loadmodule \"tls.so\"\nmodparam(\"tls\", \"config\", %q)", kamailioTLSFiles(tb, dir, certPEM, keyPEM))
		}
		cfg := filepath.Join(dir, "kamailio.cfg")
		writeFile(tb, cfg, fmt.Appendf(nil, kamailioCfg, listen, tlsLines))
		check, err := exec.CommandContext(tb.Context(), bin, "-c", "-f", cfg).CombinedOutput()
		if err != nil {
			if bytes.Contains(check, []byte("tls.so")) {
				SkipOrFail(tb, "kamailio has no TLS module (Debian package kamailio-tls-modules): "+string(check))
			}
			tb.Fatalf("testnet: kamailio -c -f %s: %v\n%s", cfg, err, check)
		}
		run := filepath.Join(dir, fmt.Sprintf("run%d", try))
		if err := os.Mkdir(run, 0o700); err != nil {
			tb.Fatalf("testnet: %v", err)
		}
		// -DD: stay in the foreground; -E: log to stderr; -Y: runtime dir
		// (control sockets); -m/-M: shared and private memory in MB, small.
		p := startProcess(tb, dir, nil, bin, "-DD", "-E", "-f", cfg, "-P", filepath.Join(run, "kamailio.pid"),
			"-Y", run, "-w", dir, "-m", "32", "-M", "8")
		var ready func(context.Context) bool
		if certPEM == nil {
			ready = func(ctx context.Context) bool { return sipAnswers(ctx, "tcp", ports[1]) }
		} else {
			ready = func(ctx context.Context) bool { return sipAnswers(ctx, "tls", ports[0]) }
		}
		err = p.waitUntil(tb.Context(), ready)
		if err == nil {
			return ports
		}
		if !exited(err) || try == kamailioStarts {
			tb.Fatalf("testnet: kamailio on %v: %v\n%s", ports, err, p.out.String())
		}
		// Most likely a port taken since our search: try others.
	}
}

// kamailioTLSFiles writes the certificate, key and TLS module file to dir
// and returns the module file's path.
func kamailioTLSFiles(tb testing.TB, dir string, certPEM, keyPEM []byte) string {
	tb.Helper()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(tb, certFile, certPEM)
	writeFile(tb, keyFile, keyPEM)
	tlsCfg := filepath.Join(dir, "tls.cfg")
	writeFile(tb, tlsCfg, fmt.Appendf(nil, kamailioTLSCfg, certFile, keyFile))
	return tlsCfg
}

// sipAnswers reports whether a SIP server on 127.0.0.1:port answers a bare
// OPTIONS over network "tcp" or "tls" with a SIP status line.
func sipAnswers(ctx context.Context, network string, port uint16) bool {
	addr := net.JoinHostPort(loopback4, strconv.Itoa(int(port)))
	c, err := dialReady(ctx, network, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	req := "OPTIONS sip:" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/" + strings.ToUpper(network) + " " + c.LocalAddr().String() + ";branch=z9hG4bKtestnetready\r\n" +
		"Max-Forwards: 70\r\nTo: <sip:" + addr + ">\r\nFrom: <sip:testnet@" + loopback4 + ">;tag=ready\r\n" +
		"Call-ID: testnet-ready\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	return answerStarts(c, req, "SIP/2.0 ")
}
