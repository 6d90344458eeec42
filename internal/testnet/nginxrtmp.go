package testnet

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// Where Debian's libnginx-mod-rtmp puts the module, and the snippet that
// names it when the path differs (Debian's nginx prefix is /usr/share/nginx,
// whose modules/ links to /usr/lib/nginx/modules).
const (
	rtmpModule        = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
	rtmpModuleSnippet = "/usr/share/nginx/modules-available/mod-rtmp.conf"
	nginxPrefix       = "/usr/share/nginx"
)

// nginxRTMPConf serves RTMP on one loopback port with one live application.
// No http block: nothing needs temp paths, and nothing else listens.
const nginxRTMPConf = `load_module %s;
events { worker_connections 64; }
rtmp {
    server {
        listen %s;
        application live { live on; }
    }
}
`

// NginxRTMP starts Debian's nginx with the RTMP module (packages nginx-light
// and libnginx-mod-rtmp) in the foreground on a free 127.0.0.1 port, with a
// generated config in tb.TempDir(), and returns the port once nginx answers
// an RTMP C0+C1 with S0. Cleanup kills nginx by PID and waits for it.
// Without nginx or the module it skips (fails under MEDIA_REQUIRE_ALL_TESTS=1).
func NginxRTMP(tb testing.TB) uint16 {
	tb.Helper()
	bin := lookBinary(tb, "nginx", "nginx-light", "/usr/sbin/nginx")
	module := nginxRTMPModule(tb)
	dir := tb.TempDir()
	p := freePorts(tb, "tcp", 1)
	addr := net.JoinHostPort(loopback4, strconv.Itoa(int(p)))
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxRTMPConf, module, addr), 0o600); err != nil {
		tb.Fatalf("testnet: nginx config: %v", err)
	}
	s := startProcess(tb, dir, nil, bin,
		"-p", dir+"/", "-c", conf, "-e", "stderr",
		"-g", "daemon off; master_process off; error_log stderr notice; pid "+filepath.Join(dir, "nginx.pid")+";")
	s.waitReady(tb, func() bool { return answersRTMP(tb, addr) })
	return p
}

// nginxRTMPModule finds ngx_rtmp_module.so, or skips.
func nginxRTMPModule(tb testing.TB) string {
	tb.Helper()
	if _, err := os.Stat(rtmpModule); err == nil {
		return rtmpModule
	}
	if b, err := os.ReadFile(rtmpModuleSnippet); err == nil {
		if m := regexp.MustCompile(`load_module\s+([^;\s]+)\s*;`).FindSubmatch(b); m != nil {
			path := string(m[1])
			if !filepath.IsAbs(path) {
				path = filepath.Join(nginxPrefix, path)
			}
			if _, err := os.Stat(path); err == nil {
				return path
			}
		}
	}
	SkipOrFail(tb, "the nginx RTMP module is not installed (Debian package libnginx-mod-rtmp)")
	return ""
}

// answersRTMP reports whether addr answers C0+C1 with an RTMP version 3 S0.
// It runs between polls: a refused connect returns at once, and a server
// that accepted gets a second to answer.
func answersRTMP(tb testing.TB, addr string) bool {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(tb.Context(), "tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	hello := make([]byte, 1+1536) // C0 (version 3) and an all-zero C1
	hello[0] = 3
	if _, err := c.Write(hello); err != nil {
		return false
	}
	var s0 [1]byte
	_, err = io.ReadFull(c, s0[:])
	return err == nil && s0[0] == 3
}
