package probe

import (
	"strings"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// Against a real SIP server: Debian's Kamailio, answering OPTIONS with 200.
func TestSIPAgainstKamailio(t *testing.T) {
	udp, tcp := testnet.Kamailio(t)
	certPEM, keyPEM, pool := testnet.Cert(t)
	tlsPort := testnet.KamailioTLS(t, certPEM, keyPEM)
	_, _, otherPool := testnet.Cert(t)
	tests := []struct {
		name   string
		port   uint16
		opts   SIPOptions
		status Status
		detail string // prefix
		cause  string
	}{
		{"udp", udp, SIPOptions{}, StatusOpen, "SIP/2.0 200 OK; server: kamailio (", ""},
		{"tcp", tcp, SIPOptions{Transport: "tcp"}, StatusOpen, "SIP/2.0 200 OK; server: kamailio (", ""},
		{"tls", tlsPort, SIPOptions{Transport: "tls", TLSOptions: TLSOptions{RootCAs: pool}}, StatusOpen,
			"SIP/2.0 200 OK; server: kamailio (", ""},
		{"expect_status met", udp, SIPOptions{ExpectStatus: 200}, StatusOpen, "SIP/2.0 200 OK", ""},
		{"expect_status mismatch", udp, SIPOptions{ExpectStatus: 404}, StatusError, "SIP/2.0 200 OK",
			"OPTIONS returned 200 OK, expected 404"},
		{"tls untrusted", tlsPort, SIPOptions{Transport: "tls", TLSOptions: TLSOptions{RootCAs: otherPool}}, StatusError, "",
			"certificate signed by unknown authority"},
		{"tls min validity", tlsPort, SIPOptions{Transport: "tls", TLSOptions: TLSOptions{RootCAs: pool, MinValidity: 2 * testnet.DefaultCertValidity}},
			StatusError, "SIP/2.0 200 OK; server: kamailio (", "certificate expires in "},
		{"plain tcp to the tls port", tlsPort, SIPOptions{Transport: "tcp"}, StatusError, "", "connection closed without a SIP response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := SIP(within(t, 5*time.Second), target("127.0.0.1", tt.port), tt.opts)
			wantStatus(t, r, tt.status)
			if !strings.HasPrefix(r.Detail, tt.detail) || !strings.HasPrefix(r.Cause, tt.cause) {
				t.Errorf("Detail = %q, Cause = %q; want prefixes %q, %q", r.Detail, r.Cause, tt.detail, tt.cause)
			}
		})
	}
}
