//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

const (
	// attemptsBeforeSIGTERM is how many probes the provider makes before the
	// test signals: by then Create is surely in flight.
	attemptsBeforeSIGTERM = 3
	// exitAfterSIGTERM bounds how long terraform may take to stop.
	exitAfterSIGTERM = 10 * time.Second
)

// CI systems and `timeout` send SIGTERM to the whole process group, so the
// plugin gets it as well as terraform. The plugin must live on until
// Terraform, stopping on the same signal, cancels the verification: the
// apply then fails with the provider's "Verification cancelled" report
// instead of "Plugin did not respond". The port answers 503 rather than
// being closed so that the test can see the attempts: it signals once
// Create is surely probing, without a sleep.
func TestGroupSIGTERMReportsCancelledVerification(t *testing.T) {
	terraform := terraformPath(t)
	port, attempts := failingHTTPServer(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.tf"), fmt.Sprintf(`terraform {
  required_providers {
    media = { source = "mediareach/media" }
  }
}

resource "media_server_reachability" "r" {
  host   = "127.0.0.1"
  checks = [{ protocol = "http", port = %d }]
  timeouts {
    create = "1m"
  }
}
`, port))

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, terraform, "apply", "-auto-approve", "-input=false", "-no-color")
	cmd.Dir = dir
	cmd.Env = terraformEnv(t, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer // read once cmd.Wait returned
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	groupGone := false
	t.Cleanup(func() {
		if !groupGone {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	select {
	case <-attempts:
	case err := <-done:
		t.Fatalf("terraform apply ended (%v) before %d attempts:\n%s", err, attemptsBeforeSIGTERM, out.String())
	}
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	timer := time.NewTimer(exitAfterSIGTERM)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		cancel()
		err = <-done
		t.Fatalf("terraform apply still running %s after SIGTERM (killed: %v):\n%s", exitAfterSIGTERM, err, out.String())
	}
	t.Logf("terraform apply exited %s after SIGTERM (%v):\n%s", time.Since(sent).Round(time.Millisecond), err, out.String())

	text := out.String()
	if err == nil {
		t.Error("terraform apply succeeded, want the cancellation error")
	}
	for _, want := range []string{"Verification cancelled", fmt.Sprintf("127.0.0.1:%d", port)} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(text, "Plugin did not respond") {
		t.Error("the plugin died before Terraform stopped it")
	}
	waitGroupGone(t, pgid)
	groupGone = true
	checkNoRaces(t, dir)
}

// terraformPath is the terraform the acceptance tests use
// (TF_ACC_TERRAFORM_PATH, else PATH); without one the test skips, or fails
// when MEDIA_REQUIRE_ALL_TESTS=1.
func terraformPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		testnet.SkipOrFail(t, "terraform is not on PATH nor in TF_ACC_TERRAFORM_PATH")
	}
	return p
}

// failingHTTPServer answers every request 503 on 127.0.0.1, so the
// verification never passes; attempts is closed at the
// attemptsBeforeSIGTERM-th request.
func failingHTTPServer(t *testing.T) (port uint16, attempts <-chan struct{}) {
	t.Helper()
	reached := make(chan struct{})
	var n atomic.Int64
	closeOnce := sync.OnceFunc(func() { close(reached) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == attemptsBeforeSIGTERM {
			closeOnce()
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	return testnet.Port(srv.Listener.Addr()), reached
}

// terraformEnv is this process's environment for terraform, with a CLI
// configuration whose dev_overrides point mediareach/media at this test
// binary, which serves the provider when serveProviderEnv is set (TestMain).
// Terraform passes its environment on to the plugin.
func terraformEnv(t *testing.T, dir string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(bin, "terraform-provider-media")); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "terraformrc")
	writeFile(t, rc, fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"mediareach/media\" = %q\n  }\n  direct {}\n}\n", bin))
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "TF_CLI_ARGS"), name == "TF_CLI_CONFIG_FILE", name == "TF_DATA_DIR",
			name == "TF_WORKSPACE", name == "TF_INPUT", name == "GORACE":
			continue
		}
		env = append(env, kv)
	}
	// Under -race, each plugin exit would wait 1s (atexit_sleep_ms) and
	// races would go to a log that only terraform sees: report them here.
	race := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0 log_path=" + filepath.Join(dir, "race"))
	return append(env, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+rc,
		serveProviderEnv+"=1", "GORACE="+race)
}

// checkNoRaces fails the test for each race report a plugin wrote in dir
// (GORACE log_path, terraformEnv).
func checkNoRaces(t *testing.T, dir string) {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "race.*"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		t.Errorf("the plugin reported a data race (%s):\n%s", l, b)
	}
}

// waitGroupGone fails the test unless every process of group pgid (the
// plugin, after terraform) has exited within a few seconds.
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a process of the apply's group (the plugin?) is still running 5s after terraform exited")
		}
		<-tick.C
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
