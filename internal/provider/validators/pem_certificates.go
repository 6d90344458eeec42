package validators

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ validator.String = pemCertificatesValidator{}

// PEMCertificates accepts one or more PEM "CERTIFICATE" blocks that parse as
// X.509 certificates, and nothing else (no private keys): CAs to trust.
func PEMCertificates() validator.String {
	return pemCertificatesValidator{what: "the CA certificates to trust"}
}

// PEMClientCertificate is PEMCertificates for a client certificate,
// followed by any intermediates.
func PEMClientCertificate() validator.String {
	return pemCertificatesValidator{what: "the client certificate, then any intermediate CA certificates"}
}

type pemCertificatesValidator struct{ what string }

func (v pemCertificatesValidator) Description(context.Context) string {
	return `must hold one or more PEM "CERTIFICATE" blocks (` + v.what + `)`
}

func (v pemCertificatesValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v pemCertificatesValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkPEMCertificates([]byte(req.ConfigValue.ValueString())); err != nil {
		// The value itself is not echoed: it is long, and a pasted private
		// key must not end up in a diagnostic.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Attribute Value",
			fmt.Sprintf("Attribute %s %s: %s.", req.Path, v.Description(ctx), err))
	}
}

func checkPEMCertificates(rest []byte) error {
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fmt.Errorf("found a PEM block of type %q", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %w", n+1, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("found no PEM certificate")
	}
	return nil
}
