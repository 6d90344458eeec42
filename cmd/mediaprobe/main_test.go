package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "version flag", args: []string{"-version"}, wantCode: exitOK, wantStdout: "mediaprobe dev (commit none)"},
		{name: "version command", args: []string{"version"}, wantCode: exitOK, wantStdout: "mediaprobe dev"},
		{name: "help command", args: []string{"help"}, wantCode: exitOK, wantStdout: "respond   bind ports"},
		{name: "help flag", args: []string{"-h"}, wantCode: exitOK, wantStderr: "Usage: mediaprobe"},
		{name: "no command", args: nil, wantCode: exitUsage, wantStderr: "Usage: mediaprobe"},
		{name: "unknown command", args: []string{"probe"}, wantCode: exitUsage, wantStderr: `unknown command "probe"`},
		{name: "unknown flag", args: []string{"-bogus"}, wantCode: exitUsage, wantStderr: "flag provided but not defined: -bogus"},
		{name: "respond help", args: []string{"respond", "-h"}, wantCode: exitOK, wantStderr: "Usage: mediaprobe respond"},
		{name: "respond bad flag value", args: []string{"respond", "--udp", "70000"}, wantCode: exitUsage, wantStderr: `invalid port "70000"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// TestHelpFlagsDoubleDash: help lists every flag with the two dashes that
// the usage lines and the README use, never the flag package's one.
func TestHelpFlagsDoubleDash(t *testing.T) {
	// Every flag of respond, as help must list it.
	var respondWant []string
	var cfg respondConfig
	var level string
	newRespondFlags(&cfg, &level).VisitAll(func(f *flag.Flag) {
		name, _ := flag.UnquoteUsage(f)
		respondWant = append(respondWant, fmt.Sprintf("  --%s %s\n", f.Name, name))
	})
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"-h"}, []string{"Usage: mediaprobe [--version]", "  --version\n"}},
		{[]string{"help"}, []string{"Usage: mediaprobe [--version]", "  --version\n"}},
		{[]string{"respond", "-h"}, respondWant},
		{[]string{"respond", "--help"}, respondWant},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			if code := run(context.Background(), tt.args, &out, &out); code != exitOK {
				t.Fatalf("exit code %d, want %d:\n%s", code, exitOK, out.String())
			}
			help := out.String()
			for _, w := range tt.want {
				if !strings.Contains(help, w) {
					t.Errorf("help lacks %q:\n%s", w, help)
				}
			}
			for line := range strings.Lines(help) {
				if strings.HasPrefix(line, "  -") && !strings.HasPrefix(line, "  --") {
					t.Errorf("single-dash flag line %q", line)
				}
			}
		})
	}
}
