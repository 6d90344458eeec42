package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// TestVersionStamped builds mediaprobe with the -X flags that goreleaser and
// the GNUmakefile pass: an -X whose target variable does not exist is
// silently ignored, so only a real build shows that `version` prints what
// was stamped.
func TestVersionStamped(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		testnet.SkipOrFail(t, "go is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "mediaprobe")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	const ldflags = "-X main.version=1.2.3-test -X main.commit=0123abc"
	out, err := exec.CommandContext(t.Context(), goTool, "build", "-ldflags", ldflags, "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -ldflags %q: %v\n%s", ldflags, err, out)
	}
	const want = "mediaprobe 1.2.3-test (commit 0123abc)\n"
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.CommandContext(t.Context(), bin, arg).Output()
		if err != nil {
			t.Errorf("mediaprobe %s: %v", arg, err)
			continue
		}
		if got := string(out); got != want {
			t.Errorf("mediaprobe %s printed %q, want %q", arg, got, want)
		}
	}
}
