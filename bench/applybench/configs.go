package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// target is one resource: a host and its TCP ports.
type target struct {
	host  string
	ports []int
}

// provider is one side of a comparison.
type provider int

const (
	ours        provider = iota // one check per resource: `ports` lists its ports
	oursPerPort                 // one check object per port, as in 20 separate checks
	baseline
	terraformData // the built-in terraform_data: no provider at all
)

func (p provider) String() string {
	return [...]string{"ours", "ours_per_port", "baseline", "terraform_data"}[p]
}

// mainTF is the configuration of one apply: one resource per target.
// createTimeout ("" for the default) sets our resource's timeouts block;
// the baseline has none and runs until its ports connect or it is stopped.
// Our resource sets nothing else: the measures are of its defaults.
func mainTF(p provider, targets []target, createTimeout string) string {
	var b strings.Builder
	switch p {
	case ours, oursPerPort:
		b.WriteString("terraform {\n  required_providers {\n    media = { source = \"mediareach/media\" }\n  }\n}\n")
	case baseline:
		b.WriteString("terraform {\n  required_providers {\n    baseline = { source = \"mediareach/baseline\" }\n  }\n}\n")
	}
	for i, t := range targets {
		b.WriteString("\n")
		switch p {
		case ours, oursPerPort:
			fmt.Fprintf(&b, "resource \"media_server_reachability\" \"r%d\" {\n  host = %q\n  checks = [\n", i, t.host)
			switch {
			case p == ours && len(t.ports) > 1:
				fmt.Fprintf(&b, "    { protocol = \"tcp\", ports = %s },\n", portList(t.ports))
			default:
				for _, port := range t.ports {
					fmt.Fprintf(&b, "    { protocol = \"tcp\", port = %d },\n", port)
				}
			}
			b.WriteString("  ]\n")
			if createTimeout != "" {
				fmt.Fprintf(&b, "  timeouts {\n    create = %q\n  }\n", createTimeout)
			}
			b.WriteString("}\n")
		case baseline:
			fmt.Fprintf(&b, "resource \"baseline_ports\" \"r%d\" {\n  host  = %q\n  ports = %s\n}\n", i, t.host, portList(t.ports))
		case terraformData:
			fmt.Fprintf(&b, "resource \"terraform_data\" \"r%d\" {\n  input = { host = %q, ports = %s }\n}\n", i, t.host, portList(t.ports))
		}
	}
	return b.String()
}

func portList(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// statePollInterval reads poll_interval from the state an apply of ours
// left in dir: the provider's default, since our configurations never set it.
func statePollInterval(dir string) (time.Duration, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		return 0, err
	}
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return 0, err
	}
	for _, r := range st.Resources {
		if r.Type != "media_server_reachability" || len(r.Instances) == 0 {
			continue
		}
		s, ok := r.Instances[0].Attributes["poll_interval"].(string)
		if !ok {
			return 0, fmt.Errorf("no poll_interval string in %s's state", r.Type)
		}
		return time.ParseDuration(s)
	}
	return 0, fmt.Errorf("no media_server_reachability in %s", dir)
}
