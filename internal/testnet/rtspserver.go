package testnet

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// debianPython is Debian's interpreter, the one that finds Debian's gi
// (python3-gi); a python3 earlier on PATH may lack it.
const debianPython = "/usr/bin/python3"

// rtspExitMissing is the script's exit status when GStreamer's RTSP server
// bindings are not installed.
const rtspExitMissing = 3

// rtspScript serves one mount, /test, whose media is a test tone
// (audiotestsrc and rtpL16pay need only plugins-base and -good), on
// 127.0.0.1 and a port the kernel picks, and prints that port once it
// listens. With a PEM file (certificate, then key) as its argument it
// serves RTSP over TLS.
const rtspScript = `
import sys
try:
    import gi
    gi.require_version('Gst', '1.0')
    gi.require_version('GstRtspServer', '1.0')
    from gi.repository import Gio, GLib, Gst, GstRtspServer
except (ImportError, ValueError) as e:
    print('missing:', e, file=sys.stderr)
    sys.exit(3)
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service('0')
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch('( audiotestsrc ! rtpL16pay name=pay0 )')
factory.set_shared(True)
server.get_mount_points().add_factory('/test', factory)
if len(sys.argv) > 1:
    auth = GstRtspServer.RTSPAuth()
    with open(sys.argv[1]) as f:
        auth.set_tls_certificate(Gio.TlsCertificate.new_from_pem(f.read(), -1))
    server.set_auth(auth)
if server.attach(None) == 0:
    sys.exit('attach failed')
print(server.get_bound_port(), flush=True)
GLib.MainLoop().run()
`

// RTSPServer runs GStreamer's RTSP server (gst-rtsp-server through
// Debian's python3-gi) on 127.0.0.1 until cleanup and returns its port; it
// serves rtsp://127.0.0.1:port/test. It skips (or fails, see SkipOrFail)
// without the bindings.
func RTSPServer(tb testing.TB) uint16 {
	tb.Helper()
	return startRTSPServer(tb, nil, nil)
}

// RTSPSServer is RTSPServer over TLS with certPEM and keyPEM (see Cert);
// GLib's TLS backend is Debian's glib-networking.
func RTSPSServer(tb testing.TB, certPEM, keyPEM []byte) uint16 {
	tb.Helper()
	return startRTSPServer(tb, certPEM, keyPEM)
}

func startRTSPServer(tb testing.TB, certPEM, keyPEM []byte) uint16 {
	tb.Helper()
	if _, err := os.Stat(debianPython); err != nil {
		SkipOrFail(tb, "no "+debianPython+" for the GStreamer RTSP server: "+err.Error())
	}
	dir := tb.TempDir()
	script := filepath.Join(dir, "rtsp_server.py")
	writeFile(tb, script, []byte(rtspScript))
	args := []string{script}
	network := "tcp"
	if certPEM != nil {
		pemFile := filepath.Join(dir, "server.pem")
		writeFile(tb, pemFile, append(append([]byte{}, certPEM...), keyPEM...))
		args, network = append(args, pemFile), "tls"
	}
	pr, pw := io.Pipe()
	p := startProcess(tb, dir, pw, debianPython, args...)
	ports := make(chan uint16, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		// The first line is the port; then drain until the server exits.
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			if n, err := strconv.ParseUint(strings.TrimSpace(sc.Text()), 10, 16); err == nil {
				ports <- uint16(n)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	tb.Cleanup(func() {
		_ = pw.Close()
		<-drained
	})
	var port uint16
	err := p.waitUntil(tb.Context(), func(ctx context.Context) bool {
		if port == 0 {
			select {
			case port = <-ports:
			default:
				return false
			}
		}
		return rtspAnswers(ctx, network, port)
	})
	if err != nil {
		if exited(err) && p.exitCode() == rtspExitMissing {
			SkipOrFail(tb, "GStreamer RTSP server bindings missing (Debian packages gir1.2-gst-rtsp-server-1.0, python3-gi): "+p.out.String())
		}
		tb.Fatalf("testnet: GStreamer RTSP server: %v\n%s", err, p.out.String())
	}
	return port
}

// rtspAnswers reports whether an RTSP server on 127.0.0.1:port answers
// OPTIONS over network "tcp" or "tls" with an RTSP status line.
func rtspAnswers(ctx context.Context, network string, port uint16) bool {
	addr := net.JoinHostPort(loopback4, strconv.Itoa(int(port)))
	c, err := dialReady(ctx, network, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	return answerStarts(c, fmt.Sprintf("OPTIONS rtsp://%s/test RTSP/1.0\r\nCSeq: 1\r\n\r\n", addr), "RTSP/1.0 ")
}
