package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseBench(t *testing.T) {
	out := "goos: linux\n" +
		"BenchmarkRunTCP-2   	       3	 618525714 ns/op	     61853 ns/probe	     16167 probes/s	41811512 B/op	  454948 allocs/op\n" +
		"PASS\n"
	tests := []struct {
		name    string
		bench   string
		wantErr bool
		want    engineResult
	}{
		{name: "tcp", bench: "BenchmarkRunTCP", want: engineResult{probesPerSec: 16167, allocsPerProbe: 45.4948, bytesPerProbe: 4181.1512}},
		{name: "missing", bench: "BenchmarkRunSTUNUDP", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBench(out, tt.bench)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got.probesPerSec != tt.want.probesPerSec ||
				math.Abs(got.allocsPerProbe-tt.want.allocsPerProbe) > 1e-6 ||
				math.Abs(got.bytesPerProbe-tt.want.bytesPerProbe) > 1e-6 {
				t.Errorf("parseBench = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestUnblockAt(t *testing.T) {
	start := time.Unix(1000, 0)
	tests := []struct {
		name     string
		creating time.Duration // after start
		want     time.Duration // after start
	}{
		// The first whole interval after Creating... that is >= start+1s.
		{name: "early create", creating: 130 * time.Millisecond, want: 1030 * time.Millisecond},
		{name: "on the boundary", creating: 200 * time.Millisecond, want: time.Second},
		// Late Create: at least unblockSettle after it.
		{name: "late create", creating: 950 * time.Millisecond, want: 1150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unblockAt(start, start.Add(tt.creating), 100*time.Millisecond).Sub(start)
			if got != tt.want {
				t.Errorf("unblockAt = %s after start, want %s", got, tt.want)
			}
		})
	}
}

func TestStats(t *testing.T) {
	ds := []time.Duration{3 * time.Second, time.Second, 2 * time.Second, 4 * time.Second}
	if got := median(ds); got != 2500*time.Millisecond {
		t.Errorf("median = %s, want 2.5s", got)
	}
	a := []time.Duration{2 * time.Second, 3 * time.Second, 4 * time.Second}
	b := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if got := pairRatio(a, b); got != 1.5 {
		t.Errorf("pairRatio = %v, want 1.5 (median of 2, 1.5, 1)", got)
	}
}

func TestMainTF(t *testing.T) {
	targets := []target{{host: "127.0.0.1", ports: []int{1001, 1002}}, {host: "127.0.0.2", ports: []int{2001}}}
	tests := []struct {
		name string
		p    provider
		want []string
		not  []string
	}{
		{name: "ours", p: ours, want: []string{`source = "mediareach/media"`, `"media_server_reachability" "r1"`,
			`{ protocol = "tcp", ports = [1001, 1002] }`, `{ protocol = "tcp", port = 2001 }`, `create = "3s"`},
			not: []string{"poll_interval", "port = 1002"}},
		{name: "ours per port", p: oursPerPort, want: []string{`{ protocol = "tcp", port = 1001 }`,
			`{ protocol = "tcp", port = 1002 }`}, not: []string{"ports ="}},
		{name: "baseline", p: baseline, want: []string{`source = "mediareach/baseline"`, `ports = [1001, 1002]`, `"baseline_ports" "r1"`}},
		{name: "terraform_data", p: terraformData, want: []string{`"terraform_data" "r1"`}, not: []string{"required_providers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tf := mainTF(tt.p, targets, "3s")
			for _, w := range tt.want {
				if !strings.Contains(tf, w) {
					t.Errorf("config lacks %q:\n%s", w, tf)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(tf, n) {
					t.Errorf("config has %q:\n%s", n, tf)
				}
			}
		})
	}
}

func TestPlacementRows(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		ds := make([]time.Duration, len(xs))
		for i, x := range xs {
			ds[i] = time.Duration(x) * time.Millisecond
		}
		return ds
	}
	p := &placement{ours: ms(130, 150, 125), base: ms(120, 120, 144)}
	if got := argmin(p.ours); got != 2 {
		t.Errorf("argmin(ours) = %d, want 2", got)
	}
	rows := p.rows()
	if len(rows) != 1 {
		t.Fatalf("rows = %v, want one", rows)
	}
	r := rows[0]
	if r.ours != "0.125s-0.150s" || r.baseline != "0.120s-0.144s" || r.rel != "1.20x / 1.20x" || r.verdict != info {
		t.Errorf("row = %+v", r)
	}
	if (*placement)(nil).rows() != nil {
		t.Error("one copy (no ranking) must add no row")
	}
}

func TestInstallProviders(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	for _, name := range []string{"terraform-provider-media", "terraform-provider-baseline"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := installProviders(dst, src, src); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"terraform-provider-media", "terraform-provider-baseline"} {
		fi, err := os.Stat(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(filepath.Join(dst, name)); string(got) != name || fi.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s: content %q, mode %v", name, got, fi.Mode())
		}
	}
}

func TestAppliesTerraform(t *testing.T) {
	for _, tt := range []struct {
		only map[string]bool
		want bool
	}{
		{map[string]bool{"engine": true}, false},
		{map[string]bool{"engine": true, "startup": true}, true},
		{map[string]bool{"cancel": true}, true},
	} {
		if got := (config{only: tt.only}).appliesTerraform(); got != tt.want {
			t.Errorf("appliesTerraform(%v) = %v, want %v", tt.only, got, tt.want)
		}
	}
}
