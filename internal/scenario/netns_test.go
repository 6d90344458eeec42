//go:build linux

package scenario

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// Addresses exist only inside the namespaces a test creates. They come from
// the RFC 5737 documentation ranges 203.0.113.0/24 and 198.51.100.0/24;
// 192.0.2.0/24 is this machine's own uplink and is never used.
const (
	clientAddr = "203.0.113.10" // the outside vantage
	serverAddr = "203.0.113.20" // the new media server
	prefixLen  = "/24"
)

const (
	// cmdTimeout bounds every ip and nft command.
	cmdTimeout = 10 * time.Second
)

var netnsCheck struct {
	once   sync.Once
	reason string
}

// requireNetns skips the test when network namespaces with nftables cannot
// be built here, and fails it instead when MEDIA_REQUIRE_ALL_TESTS=1.
func requireNetns(t *testing.T) {
	t.Helper()
	netnsCheck.once.Do(func() { netnsCheck.reason = netnsUnavailable() })
	if r := netnsCheck.reason; r != "" {
		testnet.SkipOrFail(t, r)
	}
}

// netnsUnavailable says why namespaces cannot be used, or "" when they can.
// Beyond root and the tools, it creates one namespace and an nftables table
// in it, since a container may have both binaries and still forbid that.
func netnsUnavailable() string {
	if os.Geteuid() != 0 {
		return "needs root to create network namespaces and nftables rules"
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not installed (apt-get install iproute2 nftables)"
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	ns := uniqueName() + "-chk"
	if out, err := exec.CommandContext(ctx, "ip", "netns", "add", ns).CombinedOutput(); err != nil {
		return fmt.Sprintf("cannot create a network namespace: %v: %s", err, bytes.TrimSpace(out))
	}
	defer func() { _ = exec.CommandContext(ctx, "ip", "netns", "del", ns).Run() }()
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "nft", "add", "table", "inet", "chk").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("nftables does not work in a network namespace: %v: %s", err, bytes.TrimSpace(out))
	}
	return ""
}

// uniqueName is "mrt-" and 8 random hex digits, so parallel tests and
// parallel test processes never share a namespace.
func uniqueName() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return "mrt-" + hex.EncodeToString(b)
}

// topology is two hosts on one link: Client at clientAddr, Server at
// serverAddr, each a network namespace of its own.
type topology struct {
	Client, Server string
}

// newTopology builds the hosts and loads the server's firewall (see
// ruleset). Everything is removed in t.Cleanup.
func newTopology(t *testing.T, rules ...string) topology {
	t.Helper()
	requireNetns(t)
	base := uniqueName()
	tp := topology{Client: base + "-c", Server: base + "-s"}
	addNetns(t, tp.Client)
	addNetns(t, tp.Server)
	// Created inside the client, so the root namespace never holds it.
	nsRun(t, tp.Client, nil, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", tp.Server)
	for _, h := range []struct{ ns, dev, addr string }{
		{tp.Client, "veth0", clientAddr},
		{tp.Server, "veth1", serverAddr},
	} {
		nsRun(t, h.ns, nil, "ip", "link", "set", "lo", "up")
		nsRun(t, h.ns, nil, "ip", "addr", "add", h.addr+prefixLen, "dev", h.dev)
		nsRun(t, h.ns, nil, "ip", "link", "set", h.dev, "up")
	}
	nsRun(t, tp.Server, strings.NewReader(ruleset(rules)), "nft", "-f", "-")
	return tp
}

// ruleset is the server's security group: table inet filter, chain input
// with policy accept, loopback accepted first (a cloud security group never
// sees a host's traffic to itself, and host firewalls start the same way),
// then rules in order.
func ruleset(rules []string) string {
	var b strings.Builder
	b.WriteString("table inet filter {\n\tchain input {\n")
	b.WriteString("\t\ttype filter hook input priority 0; policy accept;\n")
	b.WriteString("\t\tiif \"lo\" accept\n")
	for _, r := range rules {
		b.WriteString("\t\t" + r + "\n")
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

// addNetns creates ns and registers its removal.
func addNetns(t *testing.T, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
	}
	t.Cleanup(func() { removeNetns(t, ns) })
}

// removeNetns kills what still runs in ns (only this test's children can),
// then deletes it; the veth pair goes with it.
func removeNetns(t *testing.T, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
	if err != nil {
		t.Errorf("ip netns pids %s: %v", ns, err)
	}
	for f := range strings.FieldsSeq(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if out, err := exec.CommandContext(ctx, "ip", "netns", "del", ns).CombinedOutput(); err != nil {
		t.Errorf("ip netns del %s: %v: %s", ns, err, out)
	}
}

// nsRun runs one command inside ns and fails the test if it fails.
func nsRun(t *testing.T, ns string, stdin io.Reader, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns exec %s %s: %v: %s", ns, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// nsSysctl sets a network sysctl inside ns, such as "net.ipv4.icmp_ratelimit",
// through /proc/sys (which shows the writer's namespace), so that the
// sysctl binary is not needed.
func nsSysctl(t *testing.T, ns, key, value string) {
	t.Helper()
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	nsRun(t, ns, nil, "sh", "-c", `echo "$1" > "$2"`, "sh", value, path)
}
