package probe

import (
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// Against a real RTSP server: GStreamer's gst-rtsp-server, serving /test.
func TestRTSPAgainstGStreamer(t *testing.T) {
	plain := testnet.RTSPServer(t)
	certPEM, keyPEM, pool := testnet.Cert(t)
	secure := testnet.RTSPSServer(t, certPEM, keyPEM)
	_, _, otherPool := testnet.Cert(t)
	const public = "public: OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN; server: GStreamer RTSP server"
	tests := []struct {
		name   string
		port   uint16
		opts   RTSPOptions
		status Status
		detail string // prefix
		cause  string // prefix
	}{
		{"rtsp with path", plain, RTSPOptions{Path: "/test"}, StatusOpen, "RTSP/1.0 200 OK; " + public, ""},
		{"rtsp without path", plain, RTSPOptions{}, StatusOpen, "RTSP/1.0 200 OK; " + public, ""},
		{"rtsps", secure, RTSPOptions{TLS: true, Path: "/test", TLSOptions: TLSOptions{RootCAs: pool}}, StatusOpen,
			"RTSP/1.0 200 OK; " + public + "; TLS 1.", ""},
		{"rtsps untrusted", secure, RTSPOptions{TLS: true, TLSOptions: TLSOptions{RootCAs: otherPool}}, StatusError, "",
			"certificate signed by unknown authority"},
		{"rtsps min validity", secure, RTSPOptions{TLS: true, TLSOptions: TLSOptions{RootCAs: pool, MinValidity: 2 * testnet.DefaultCertValidity}},
			StatusError, "RTSP/1.0 200 OK", "certificate expires in "},
		{"rtsps against plain rtsp", plain, RTSPOptions{TLS: true, TLSOptions: TLSOptions{RootCAs: pool}}, StatusError, "", "not a TLS server"},
		{"rtsp against rtsps", secure, RTSPOptions{}, StatusError, "", "connection closed without an RTSP response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := RTSP(within(t, 5*time.Second), target("127.0.0.1", tt.port), tt.opts)
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Detail, tt.detail) || !strings.HasPrefix(r.Cause, tt.cause) {
				t.Errorf("Detail = %q, Cause = %q; want prefixes %q, %q", r.Detail, r.Cause, tt.detail, tt.cause)
			}
		})
	}
}

// The wrong protocol on a media server's port is an error, never open.
func TestWrongProtocolOnMediaPorts(t *testing.T) {
	rtsp := testnet.RTSPServer(t)
	_, sipTCP := testnet.Kamailio(t)
	t.Run("sip against rtsp", func(t *testing.T) {
		// GStreamer answers "RTSP/1.0 400 Bad Request".
		r := SIP(within(t, 5*time.Second), target("127.0.0.1", rtsp), SIPOptions{Transport: "tcp"})
		wantStatus(t, r, StatusError)
		if r.Cause != "not a SIP response" || !strings.Contains(r.Error, `reply starts with "RTSP/1.0 400 Bad", want SIP/`) {
			t.Errorf("Cause = %q, Error = %q", r.Cause, r.Error)
		}
	})
	t.Run("rtsp against sip", func(t *testing.T) {
		// Kamailio drops the connection on a request it cannot parse.
		r := RTSP(within(t, 5*time.Second), target("127.0.0.1", sipTCP), RTSPOptions{})
		wantStatus(t, r, StatusError)
		if r.Cause != "connection closed without an RTSP response" {
			t.Errorf("Cause = %q, Error = %q", r.Cause, r.Error)
		}
	})
}
