package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestPEMCertificates(t *testing.T) {
	t.Parallel()
	certPEM, keyPEM, _ := testnet.Cert(t)
	runStringCases(t, PEMCertificates(), []stringCase{
		{"null", types.StringNull(), ""},
		{"unknown", types.StringUnknown(), ""},
		{"certificate", types.StringValue(string(certPEM)), ""},
		{"two certificates", types.StringValue(string(certPEM) + string(certPEM)), ""},
		{"private key", types.StringValue(string(keyPEM)), "found a PEM block of type"},
		{"not PEM", types.StringValue("hello"), "found no PEM certificate"},
		{"bad body", types.StringValue("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
			"certificate 1 does not parse"},
	})
}

func TestPEMCertificatesDoesNotEchoTheValue(t *testing.T) {
	t.Parallel()
	_, keyPEM, _ := testnet.Cert(t)
	var resp validator.StringResponse
	PEMCertificates().ValidateString(context.Background(),
		validator.StringRequest{Path: testPath, ConfigValue: types.StringValue(string(keyPEM))}, &resp)
	if !resp.Diagnostics.HasError() {
		t.Fatal("a private key passed")
	}
	for _, d := range resp.Diagnostics {
		if strings.Contains(d.Detail(), string(keyPEM[40:70])) {
			t.Fatalf("diagnostic echoes the key: %q", d.Detail())
		}
	}
}

// A client certificate's message says what belongs there, not "CA".
func TestPEMClientCertificate(t *testing.T) {
	t.Parallel()
	certPEM, keyPEM, _ := testnet.Cert(t)
	runStringCases(t, PEMClientCertificate(), []stringCase{
		{"certificate", types.StringValue(string(certPEM)), ""},
		{"key pasted in its place", types.StringValue(string(keyPEM)), "(the client certificate, then any intermediate CA certificates)"},
	})
}
