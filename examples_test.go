package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

const (
	examplesDir = "examples"
	// devOverridesWarning is the warning Terraform prints whenever
	// dev_overrides are in effect; every other diagnostic fails the test.
	devOverridesWarning = "Provider development overrides are in effect"
)

// fmtOnlyExamples are the example folders that use providers other than
// this one. No registry is reachable in tests, so they are only checked by
// `terraform fmt`. A new folder that needs another provider must be listed
// here, with the reason.
var fmtOnlyExamples = map[string]string{
	"examples/guides/gate-route53-record": "needs hashicorp/aws",
	"examples/guides/gate-rotation-aws":   "needs hashicorp/aws",
}

// newerTerraformExamples are the example folders that need a newer Terraform
// than the oldest the tests run with (make test-matrix runs 1.5.7), with that
// version; the folder's required_version says the same. An older Terraform
// neither validates nor formats them (1.5 cannot even parse a provider
// function call); the run with the newest Terraform checks them.
var newerTerraformExamples = map[string]string{
	"examples/ephemeral-resources/media_turn_credentials": "1.10.0", // an ephemeral block
	"examples/functions/turn_credentials":                 "1.10.0", // plantimestamp() in a provider-defined function's arguments
	"examples/guides/coturn":                              "1.11.0", // an ephemeral variable fed to write-only arguments
}

// TestExamples validates every folder under examples/ as a root module of its
// own, as a user would copy it, against a freshly built provider, and checks
// that every example is formatted (those that this Terraform can read).
//
// Terraform reaches the provider through dev_overrides, with which `terraform
// init` still asks the registry for the overridden provider (and Terraform
// says to skip init), so validate runs without init: with dev_overrides it
// loads the provider from the override directory directly.
func TestExamples(t *testing.T) {
	terraform := requireTool(t, "terraform", os.Getenv("TF_ACC_TERRAFORM_PATH"))
	folders := exampleFolders(t)
	env := devOverridesEnv(t, buildProvider(t))

	for dir := range fmtOnlyExamples {
		if !slices.Contains(folders, dir) {
			t.Errorf("fmtOnlyExamples lists %s, which has no .tf files", dir)
		}
	}
	for dir := range newerTerraformExamples {
		if !slices.Contains(folders, dir) {
			t.Errorf("newerTerraformExamples lists %s, which has no .tf files", dir)
		}
	}
	version := terraformVersion(t, terraform, env)
	tooNew := func(dir string) bool {
		least, ok := newerTerraformExamples[dir]
		if ok && !versionAtLeast(t, version, least) {
			t.Logf("%s: skipped (needs Terraform %s, this is %s)", dir, least, version)
			return true
		}
		return false
	}
	folders = slices.DeleteFunc(folders, tooNew)

	// Every folder with .tf files is a target, so -recursive is not needed.
	t.Run("fmt", func(t *testing.T) {
		args := append([]string{"fmt", "-check", "-diff", "-no-color"}, folders...)
		cmd := exec.CommandContext(t.Context(), terraform, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform fmt -check on the folders under %s: %v (run make fmt)\n%s", examplesDir, err, out)
		}
	})

	for _, dir := range folders {
		if reason, ok := fmtOnlyExamples[dir]; ok {
			t.Logf("%s: fmt only (%s, and no registry is reachable)", dir, reason)
			continue
		}
		t.Run("validate/"+strings.TrimPrefix(dir, examplesDir+"/"), func(t *testing.T) {
			validateExample(t, terraform, env, dir)
		})
	}
}

// requireTool finds a program by its path from the environment, else on PATH.
// It skips the test without it, or fails it when MEDIA_REQUIRE_ALL_TESTS=1.
func requireTool(t *testing.T, name, fromEnv string) string {
	t.Helper()
	if fromEnv != "" {
		return fromEnv
	}
	path, err := exec.LookPath(name)
	if err != nil {
		testnet.SkipOrFail(t, name+" is not on PATH")
	}
	return path
}

// terraformVersion is the version terraform reports, such as "1.11.4".
func terraformVersion(t *testing.T, terraform string, env []string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), terraform, "version", "-json")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform version -json: %v", err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		t.Fatalf("terraform version -json: %v in %s", err, out)
	}
	return v.Version
}

// versionAtLeast compares the MAJOR.MINOR.PATCH of two versions; a suffix
// such as "-dev" is ignored.
func versionAtLeast(t *testing.T, version, least string) bool {
	t.Helper()
	parse := func(s string) [3]int {
		core, _, _ := strings.Cut(s, "-")
		parts := strings.Split(core, ".")
		var n [3]int
		if len(parts) != 3 {
			t.Fatalf("version %q is not MAJOR.MINOR.PATCH", s)
		}
		for i, p := range parts {
			v, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("version %q: %v", s, err)
			}
			n[i] = v
		}
		return n
	}
	a, b := parse(version), parse(least)
	return slices.Compare(a[:], b[:]) >= 0
}

// exampleFolders lists the folders under examples/ that hold .tf files, as
// slash-separated paths relative to the repository root.
func exampleFolders(t *testing.T) []string {
	t.Helper()
	var folders []string
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") { // .terraform
			return filepath.SkipDir
		}
		if !d.IsDir() && filepath.Ext(path) == ".tf" {
			dir := filepath.ToSlash(filepath.Dir(path))
			if !slices.Contains(folders, dir) {
				folders = append(folders, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(folders) == 0 {
		t.Fatalf("no .tf files under %s", examplesDir)
	}
	return folders
}

// buildProvider builds this provider into a temporary directory, once per
// test run, named as dev_overrides expects.
func buildProvider(t *testing.T) string {
	t.Helper()
	goTool := requireTool(t, "go", "")
	dir := t.TempDir()
	out, err := exec.CommandContext(t.Context(), goTool, "build", "-o", filepath.Join(dir, "terraform-provider-media"), ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// devOverridesEnv is the environment for terraform: a CLI configuration that
// points this provider's registry address at providerDir and nothing else.
func devOverridesEnv(t *testing.T, providerDir string) []string {
	t.Helper()
	config := filepath.Join(t.TempDir(), "terraformrc")
	content := fmt.Sprintf(`provider_installation {
  dev_overrides {
    %q = %q
  }
  direct {}
}
`, providerAddress, providerDir)
	if err := os.WriteFile(config, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "TF_CLI_CONFIG_FILE="+config, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
}

// providerUse is added to every example that is validated: Terraform checks
// a provider block only when something uses the provider, and
// examples/provider declares nothing else.
const providerUse = `data "media_server_reachability" "examples_test_provider_use" {
  host   = "example.invalid"
  checks = [{ protocol = "tcp", port = 1 }]
}
`

// validateExample copies the folder's .tf files into an empty directory, so
// no .terraform directory or lock file of a local run takes part, adds
// providerUse, and runs `terraform validate` there. Any diagnostic but the
// dev_overrides warning fails the test, so deprecation warnings do not reach
// the docs either.
func validateExample(t *testing.T, terraform string, env []string, dir string) {
	t.Helper()
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "examples_test_provider_use.tf"), []byte(providerUse), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.CommandContext(t.Context(), terraform, "-chdir="+work, "validate", "-json", "-no-color")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, runErr := cmd.Output()

	var result struct {
		Valid       bool `json:"valid"`
		Diagnostics []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Detail   string `json:"detail"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal(stdout, &result); err != nil {
		t.Fatalf("terraform validate in %s: %v; output is not JSON (%v):\n%s\n%s", dir, runErr, err, stdout, stderr.Bytes())
	}
	for _, d := range result.Diagnostics {
		if d.Severity == "warning" && d.Summary == devOverridesWarning {
			continue
		}
		t.Errorf("%s: %s: %s\n%s", dir, d.Severity, d.Summary, d.Detail)
	}
	if !result.Valid || runErr != nil {
		t.Errorf("terraform validate in %s: valid=%t, %v\n%s", dir, result.Valid, runErr, stderr.Bytes())
	}
}
