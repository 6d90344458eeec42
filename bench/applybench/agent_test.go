//go:build unix

package applybench

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// benchAgentToken is the bench agent's token; the agent serves loopback only.
const benchAgentToken = "bench-agent-token-0123456789"

// unblockAgent: row 1 through a `mediaprobe agent` on loopback. In the
// same rounds, ours verifies locally and through the agent; the port opens
// at the same offsets, and the row is the agent's median against the local
// one: what the hop (HTTP, the agent's engine, the streamed report) adds.
func (h *harness) unblockAgent(t *testing.T) []row {
	const offsets = 5
	url := h.agent(t)
	side := func(provider string) func(int) time.Duration {
		return func(i int) time.Duration {
			r, opened := h.unblockRound(t, i, offsets, func(port uint16) string {
				return provider + oursTF(onePort(port), false, "")
			})
			if provider != "" && !strings.Contains(r.out.String(), "Creation complete") {
				t.Fatalf("the apply through the agent did not complete:\n%s", r.out.tail())
			}
			return r.end.Sub(opened)
		}
	}
	s := rounds(h.n(2*offsets), side(agentProviderTF(url)), side(""))
	return []row{agentUnblockRow(s[0], s[1])}
}

// agentUnblockLimit is what the agent may add to the local unblock.
const agentUnblockLimit = 50 * time.Millisecond

// agentUnblockRow is row 1b: the agent's unblock, the local one of the
// same rounds, their difference of medians, judged against
// agentUnblockLimit.
func agentUnblockRow(agent, local []time.Duration) row {
	r := diffRow("1b", "  unblock through an agent on loopback", agent, local, 0, median)
	r.target = "<= local +" + secs(agentUnblockLimit)
	r.verdict = judge(median(agent)-median(local) <= agentUnblockLimit)
	return r
}

func agentProviderTF(url string) string {
	return fmt.Sprintf("provider \"media\" {\n  agents = [{ name = \"bench\", url = %q, token = %q }]\n}\n", url, benchAgentToken)
}

var agentAddress = regexp.MustCompile(`address=(\S+)`)

// agent runs `mediaprobe agent` on loopback (plain HTTP, allowed there)
// until the test ends, and returns its URL.
func (h *harness) agent(t *testing.T) string {
	tokens := filepath.Join(h.root, "agent-tokens")
	if err := os.WriteFile(tokens, []byte("bench:"+benchAgentToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// It logs "listening" with its address once it serves.
	line := h.mediaprobe(t, "agent", "--listen", "127.0.0.1:0", "--allow", "127.0.0.1/32", "--token-file", tokens,
		"--name", "bench")
	m := agentAddress.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("mediaprobe agent exited before listening, or logged no address: %q", line)
	}
	return "http://" + m[1]
}

func TestAgentUnblockRow(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	r := agentUnblockRow(ms(60, 70, 500), ms(20, 30, 40))
	if r.id != "1b" || r.verdict != pass || r.ratio != "+0.040s" || r.target != "<= local +0.050s" || r.base != "0.030s" {
		t.Errorf("within 50ms of local: %+v", r)
	}
	if r := agentUnblockRow(ms(90, 100, 110), ms(20, 30, 40)); r.verdict != miss || r.ratio != "+0.070s" {
		t.Errorf("70ms over local: %+v, want a miss", r)
	}
}
