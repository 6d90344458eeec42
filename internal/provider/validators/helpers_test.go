package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var testPath = path.Root("checks").AtListIndex(2).AtName("x")

type stringCase struct {
	name    string
	value   types.String
	wantErr string // "" = valid; otherwise a substring of the error detail
}

// runStringCases runs v on each case.
func runStringCases(t *testing.T, v validator.String, cases []stringCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var resp validator.StringResponse
			v.ValidateString(context.Background(), validator.StringRequest{Path: testPath, ConfigValue: tc.value}, &resp)
			assertErr(t, resp.Diagnostics, tc.wantErr)
		})
	}
}

// assertErr checks for no error (want == "") or exactly one error, on
// testPath, whose detail names the path and contains want.
func assertErr(t *testing.T, diags diag.Diagnostics, want string) {
	t.Helper()
	errs := diags.Errors()
	if want == "" {
		if len(errs) > 0 {
			t.Fatalf("want no error, got %v", errs)
		}
		return
	}
	if len(errs) != 1 {
		t.Fatalf("want one error containing %q, got %v", want, errs)
	}
	d := errs[0]
	wp, ok := d.(diag.DiagnosticWithPath)
	if !ok || !wp.Path().Equal(testPath) {
		t.Fatalf("error %v is not on path %s", d, testPath)
	}
	if !strings.Contains(d.Detail(), want) || !strings.Contains(d.Detail(), testPath.String()) {
		t.Fatalf("error %q should contain %q and the path %s", d.Detail(), want, testPath)
	}
}
