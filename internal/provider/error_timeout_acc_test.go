package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// An HTTP check that keeps answering 404 fails after error_timeout, not
// after the whole create timeout, with the usual failure message.
func TestAccReachability_errorTimeoutEndsWrongAnswers(t *testing.T) {
	t.Parallel()
	port := testnet.HTTPServer(t, http.StatusNotFound, nil)
	var started time.Time
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() { started = time.Now() },
			Config: resourceConfig("127.0.0.1", checksHCL(hclCheck{"protocol": "http", "port": port, "path": "/health"}),
				append(fast, `error_timeout = "1s"`, `timeouts { create = "5m" }`)...),
			ExpectError: regexp.MustCompile(`Media server not reachable[\s\S]*` +
				spaced(`a check answered only wrongly for error_timeout (1s), so the verification stopped`) + `[\s\S]*` +
				spaced(fmt.Sprintf(`http 127.0.0.1 (127.0.0.1:%d) from the machine running Terraform: error after`, port)) +
				`[\s\S]*` + spaced(`GET /health returned 404, expected 200`)),
		}},
	})
	if took := time.Since(started); took > 30*time.Second {
		t.Errorf("the failing step took %s; error_timeout is 1s", took)
	}
}

// error_timeout longer than the create or update timeout is refused at plan.
func TestValidation_errorTimeoutAtMostOperationTimeout(t *testing.T) {
	t.Parallel()
	tcp := checksHCL(hclCheck{"protocol": "tcp", "port": 443})
	cases := []planErrorCase{
		{"longer than create", resourceConfig("127.0.0.1", tcp, `error_timeout = "5m"`, `timeouts { create = "1m" }`),
			`Attribute error_timeout (5m0s) must be at most the create timeout (1m0s)`},
		{"longer than default create", resourceConfig("127.0.0.1", tcp, `error_timeout = "20m"`),
			`Attribute error_timeout (20m0s) must be at most the create timeout (10m0s)`},
		{"longer than update", resourceConfig("127.0.0.1", tcp, `error_timeout = "5m"`, `timeouts { update = "1m" }`),
			`Attribute error_timeout (5m0s) must be at most the update timeout (1m0s)`},
		{"zero", resourceConfig("127.0.0.1", tcp, `error_timeout = "0s"`),
			`Attribute error_timeout must be a Go duration of at least 1ms`},
	}
	runPlanErrorCases(t, cases)
}
