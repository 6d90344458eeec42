//go:build linux

package scenario

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

// The lab replays the incident: three media servers whose security groups
// accept everything from the VPC, one of which drops udp/3478 from the
// internet. Terraform runs inside the VPC; a `mediaprobe agent` runs on the
// internet side. Hosts are network namespaces around one router:
//
//	internet 203.0.113.10 ─┐                 ┌─ media-1 198.51.100.11
//	                       ├── router ── br ─┼─ media-2 198.51.100.12
//	vpc      10.0.0.10 ────┘                 └─ media-3 198.51.100.13
//
// The router forwards without NAT, so a server sees VPC probes come from
// 10.0.0.10 and internet probes from 203.0.113.10. The internet side and the
// servers' network are dual-stack: the agent also has 2001:db8:113::10, and
// a server given Addr6 is reached on it through the router (TestLabCases
// adds media-4, 198.51.100.21 and 2001:db8:100::21, named media-4.lab.test).
const (
	labAgentAddr  = "203.0.113.10"
	labAgentAddr6 = "2001:db8:113::10"
	labRunnerAddr = "10.0.0.10"
	labAgentPort  = "8443"
	labAgentName  = "internet"
	labToken      = "lab-secret-0123456789abcdef"
	// labBystander is a host on the servers' network that the agent's
	// allowlist leaves out; it runs nothing and counts what reaches it.
	labBystander = "198.51.100.14"
	// labStartTimeout bounds the wait for a started process to say it listens.
	labStartTimeout = 10 * time.Second
)

// labServer is one media server of the lab.
type labServer struct {
	Name, Addr string
	// Addr6, if set, is its IPv6 address; Host, if set, a name that the
	// internet and VPC hosts resolve (their /etc/hosts) to Addr and Addr6.
	Addr6, Host string
	// TCP and UDP are the ports its responder serves ("" for the media
	// ports labTCP and labUDP).
	TCP, UDP string
	// Rules are its security group after "accept from 10.0.0.0/8".
	Rules []string
}

// The media ports every responder serves unless its server says otherwise.
const (
	labTCP = "443,3478"
	labUDP = "3478,10000-10019"
)

// labServers are the three servers; media-3's security group lacks inbound
// udp/3478 from the internet.
var labServers = []labServer{
	{Name: "media-1", Addr: "198.51.100.11"},
	{Name: "media-2", Addr: "198.51.100.12"},
	{Name: "media-3", Addr: "198.51.100.13", Rules: []string{"ip saddr 203.0.113.0/24 udp dport 3478 drop"}},
}

// lab is a built lab: the namespaces, the binaries and the agent's CA.
type lab struct {
	Internet, VPC, Router string
	Servers               map[string]string // server name -> namespace
	Built                 []labServer       // labServers, then newLab's extra
	Bystander             string            // namespace of labBystander
	Bin                   labBinaries
	AgentCAPEM            []byte
}

// labBinaries are mediaprobe and the provider, built from this repository.
type labBinaries struct {
	Mediaprobe, ProviderDir string
}

// labBuildTimeout bounds building both binaries (seconds with a warm cache).
const labBuildTimeout = 3 * time.Minute

// buildLabBinaries builds cmd/mediaprobe and the provider into a directory
// removed when the test ends.
func buildLabBinaries(t *testing.T) labBinaries {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		testnet.SkipOrFail(t, "the go tool is not on PATH, so the lab cannot build mediaprobe and the provider")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), labBuildTimeout)
	defer cancel()
	for _, b := range []struct{ out, pkg string }{
		{filepath.Join(dir, "mediaprobe"), "../../cmd/mediaprobe"},
		{filepath.Join(dir, "terraform-provider-media"), "../.."},
	} {
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v: %s", b.pkg, err, out)
		}
	}
	return labBinaries{Mediaprobe: filepath.Join(dir, "mediaprobe"), ProviderDir: dir}
}

// newLab builds the namespaces, links, routes and security groups of
// labServers and extra, and starts a responder on every server and the
// agent on the internet host. Everything is stopped and removed in
// t.Cleanup.
func newLab(t *testing.T, extra ...labServer) *lab {
	t.Helper()
	requireNetns(t)
	if _, err := exec.LookPath("terraform"); err != nil {
		testnet.SkipOrFail(t, "terraform is not on PATH")
	}
	bin := buildLabBinaries(t)
	base := uniqueName()
	l := &lab{Internet: base + "-inet", VPC: base + "-vpc", Router: base + "-rtr", Servers: map[string]string{}, Bin: bin,
		Built: append(slices.Clone(labServers), extra...)}
	addNetns(t, l.Router)
	addNetns(t, l.Internet)
	addNetns(t, l.VPC)
	nsRun(t, l.Router, nil, "ip", "link", "set", "lo", "up")
	nsSysctl(t, l.Router, "net.ipv4.ip_forward", "1")
	nsSysctl(t, l.Router, "net.ipv6.conf.all.forwarding", "1")
	nsRun(t, l.Router, nil, "ip", "link", "add", "br0", "type", "bridge")
	nsRun(t, l.Router, nil, "ip", "addr", "add", "198.51.100.1/24", "dev", "br0")
	nsRun(t, l.Router, nil, "ip", "addr", "add", "2001:db8:100::1/64", "dev", "br0", "nodad")
	nsRun(t, l.Router, nil, "ip", "link", "set", "br0", "up")
	labLink(t, l.Router, "r-inet", "203.0.113.1/24", l.Internet, labAgentAddr+"/24", "203.0.113.1")
	labLink6(t, l.Router, "r-inet", "2001:db8:113::1/64", l.Internet, labAgentAddr6+"/64", "2001:db8:113::1")
	labLink(t, l.Router, "r-vpc", "10.0.0.1/24", l.VPC, labRunnerAddr+"/24", "10.0.0.1")
	for i, s := range l.Built {
		ns := fmt.Sprintf("%s-m%d", base, i+1)
		l.Servers[s.Name] = ns
		addNetns(t, ns)
		dev := fmt.Sprintf("r-m%d", i+1)
		labLink(t, l.Router, dev, "", ns, s.Addr+"/24", "198.51.100.1")
		nsRun(t, l.Router, nil, "ip", "link", "set", dev, "master", "br0")
		listen := []string{"--listen", s.Addr}
		if s.Addr6 != "" {
			labLink6(t, l.Router, "", "", ns, s.Addr6+"/64", "2001:db8:100::1")
			listen = nil // every address, IPv4 and IPv6
		}
		nsRun(t, ns, strings.NewReader(ruleset(labRules(s.Rules))), "nft", "-f", "-")
		labStart(t, ns, bin.Mediaprobe, append([]string{"respond", "--tcp", cmp.Or(s.TCP, labTCP),
			"--udp", cmp.Or(s.UDP, labUDP), "--ttl", "5m"}, listen...)...)
	}
	l.Bystander = base + "-by"
	addNetns(t, l.Bystander)
	labLink(t, l.Router, "r-by", "", l.Bystander, labBystander+"/24", "198.51.100.1")
	nsRun(t, l.Router, nil, "ip", "link", "set", "r-by", "master", "br0")
	nsRun(t, l.Bystander, strings.NewReader(ruleset(labRules(nil))), "nft", "-f", "-")
	l.writeHosts(t)
	l.startAgent(t)
	return l
}

// labRules is a server's security group: count what comes from the agent,
// count and accept everything from the VPC, then rules.
func labRules(rules []string) []string {
	return append([]string{"ip saddr " + labAgentAddr + " counter", "ip6 saddr " + labAgentAddr6 + " counter",
		"ip saddr 10.0.0.0/8 counter accept"}, rules...)
}

var (
	counterRE  = regexp.MustCompile(`ip saddr ` + regexp.QuoteMeta(labAgentAddr) + ` counter packets (\d+)`)
	counter6RE = regexp.MustCompile(`ip6 saddr ` + regexp.QuoteMeta(labAgentAddr6) + ` counter packets (\d+)`)
	vpcRE      = regexp.MustCompile(`ip saddr 10\.0\.0\.0/8 counter packets (\d+)`)
)

// FromAgent is how many packets from the agent's IPv4 address reached ns's
// firewall.
func (l *lab) FromAgent(t *testing.T, ns string) int { return count(t, ns, counterRE) }

// FromAgent6 is how many from its IPv6 address.
func (l *lab) FromAgent6(t *testing.T, ns string) int { return count(t, ns, counter6RE) }

// FromVPC is how many from the VPC.
func (l *lab) FromVPC(t *testing.T, ns string) int { return count(t, ns, vpcRE) }

// count reads the packet counter re matches in ns's input chain.
func count(t *testing.T, ns string, re *regexp.Regexp) int {
	t.Helper()
	out := nsRun(t, ns, nil, "nft", "list", "chain", "inet", "filter", "input")
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no counter %s in %s:\n%s", re, ns, out)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// labLink joins router and host with a veth pair: the router end gets
// routerAddr (none when it goes into a bridge), the host end hostAddr and a
// default route via gw.
func labLink(t *testing.T, router, dev, routerAddr, host, hostAddr, gw string) {
	t.Helper()
	nsRun(t, router, nil, "ip", "link", "add", dev, "type", "veth", "peer", "name", "eth0", "netns", host)
	if routerAddr != "" {
		nsRun(t, router, nil, "ip", "addr", "add", routerAddr, "dev", dev)
	}
	nsRun(t, router, nil, "ip", "link", "set", dev, "up")
	nsRun(t, host, nil, "ip", "link", "set", "lo", "up")
	nsRun(t, host, nil, "ip", "addr", "add", hostAddr, "dev", "eth0")
	nsRun(t, host, nil, "ip", "link", "set", "eth0", "up")
	nsRun(t, host, nil, "ip", "route", "add", "default", "via", gw)
}

// labLink6 adds IPv6 to a link that labLink made: routerAddr on the router
// end (none when it is in the bridge), hostAddr and a default route via gw
// on the host. Without DAD, the addresses work at once.
func labLink6(t *testing.T, router, dev, routerAddr, host, hostAddr, gw string) {
	t.Helper()
	if routerAddr != "" {
		nsRun(t, router, nil, "ip", "addr", "add", routerAddr, "dev", dev, "nodad")
	}
	nsRun(t, host, nil, "ip", "addr", "add", hostAddr, "dev", "eth0", "nodad")
	nsRun(t, host, nil, "ip", "route", "add", "default", "via", gw)
}

// writeHosts gives the internet and VPC hosts an /etc/hosts with the
// servers' Host names and an /etc/resolv.conf naming only loopback, which
// `ip netns exec` mounts over the machine's (see ip-netns(8)): names
// resolve inside the lab, and a lookup of any other name never leaves it.
func (l *lab) writeHosts(t *testing.T) {
	t.Helper()
	hosts := "127.0.0.1 localhost\n::1 localhost\n"
	for _, s := range l.Built {
		for _, addr := range []string{s.Addr, s.Addr6} {
			if s.Host != "" && addr != "" {
				hosts += addr + " " + s.Host + "\n"
			}
		}
	}
	for _, ns := range []string{l.Internet, l.VPC} {
		dir := filepath.Join("/etc/netns", ns)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = os.RemoveAll(dir)
			_ = os.Remove("/etc/netns") // only once empty: other labs may use it
		})
		for name, text := range map[string]string{"hosts": hosts, "resolv.conf": "nameserver 127.0.0.1\n"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// startAgent runs `mediaprobe agent` on the internet host over HTTPS, with a
// certificate for its address, token labToken, allowed l.allow().
func (l *lab) startAgent(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM, caPEM := testnet.CertWithCA(t, labAgentAddr)
	l.AgentCAPEM = caPEM
	files := map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM, "tokens": []byte("lab:" + labToken + "\n")}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	labStart(t, l.Internet, l.Bin.Mediaprobe, "agent", "--listen", labAgentAddr+":"+labAgentPort,
		"--tls-cert", filepath.Join(dir, "cert.pem"), "--tls-key", filepath.Join(dir, "key.pem"),
		"--allow", l.allow(), "--token-file", filepath.Join(dir, "tokens"), "--name", labAgentName)
}

// allow is the agent's allowlist: the servers' addresses, not the
// bystander.
func (l *lab) allow() string {
	var ips []string
	for _, s := range l.Built {
		ips = append(ips, s.Addr)
		if s.Addr6 != "" {
			ips = append(ips, s.Addr6)
		}
	}
	return strings.Join(ips, ",")
}

// AgentURL is the agent's address as the provider dials it.
func (l *lab) AgentURL() string { return "https://" + labAgentAddr + ":" + labAgentPort }

// labStart runs bin in ns until the test ends, and returns once it logs
// "listening". Its output is in the test log on failure.
func labStart(t *testing.T, ns, bin string, args ...string) {
	t.Helper()
	// Killed at cleanup below, after the test's own context has ended.
	cmd := exec.CommandContext(context.Background(), "ip", append([]string{"netns", "exec", ns, bin}, args...)...)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	var log lockedLog
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		seen := false
		for sc.Scan() {
			log.add(sc.Text())
			if !seen && strings.Contains(sc.Text(), "listening") {
				seen = true
				close(ready)
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-done
		_ = pr.Close()
		if t.Failed() {
			t.Logf("%s %s in %s:\n%s", filepath.Base(bin), args[0], ns, log.String())
		}
	})
	timer := time.NewTimer(labStartTimeout)
	defer timer.Stop()
	select {
	case <-ready:
	case <-done:
		t.Fatalf("%s %s exited in %s:\n%s", bin, strings.Join(args, " "), ns, log.String())
	case <-timer.C:
		t.Fatalf("%s %s did not log \"listening\" within %s:\n%s", bin, strings.Join(args, " "), labStartTimeout, log.String())
	}
}

// lockedLog collects a process's lines for the test log.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(line + "\n")
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
