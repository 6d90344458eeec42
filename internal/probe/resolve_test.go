package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeResolver answers from a table keyed by network and records calls.
type fakeResolver struct {
	answers map[string][]netip.Addr // key: network + " " + host
	err     error
	mu      sync.Mutex
	calls   []string
}

func (f *fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	f.calls = append(f.calls, network+" "+host)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return f.answers[network+" "+host], nil
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func TestResolve(t *testing.T) {
	r := &fakeResolver{answers: map[string][]netip.Addr{
		"ip4 media.example":      addrs("192.0.2.1", "192.0.2.2", "192.0.2.1"),
		"ip6 media.example":      addrs("2001:db8::1", "::ffff:192.0.2.1", "2001:db8::2"),
		"ip6 v4only.example":     addrs("::ffff:192.0.2.9"),
		"ip4 v6only.example":     nil,
		"ip4 mapped.example":     addrs("::ffff:198.51.100.1"),
		"ip4 duplicates.example": addrs("192.0.2.1", "192.0.2.1"),
		"ip4 sinkhole.example":   addrs("0.0.0.0"),
		"ip6 sinkhole.example":   addrs("::"),
	}}
	tests := []struct {
		name, host, family string
		want               []string
		wantCall           string // "" when no lookup may happen; "ip" stands for both ip4 and ip6
		wantErr            string
	}{
		{name: "v4 literal", host: "192.0.2.7", family: "any", want: []string{"192.0.2.7"}},
		{name: "v6 literal in brackets", host: "[2001:db8::7]", family: "ipv6", want: []string{"2001:db8::7"}},
		{name: "mapped literal unmaps", host: "::ffff:192.0.2.7", family: "ipv4", want: []string{"192.0.2.7"}},
		{name: "literal of wrong family", host: "192.0.2.7", family: "ipv6", wantErr: "192.0.2.7 is not an ipv6 address"},
		{name: "any: v4 first, lookup order, deduped", host: "media.example", family: "any",
			want: []string{"192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"}, wantCall: "ip media.example"},
		{name: "empty family is any", host: "media.example", family: "",
			want: []string{"192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"}, wantCall: "ip media.example"},
		{name: "ipv4", host: "media.example", family: "ipv4", want: []string{"192.0.2.1", "192.0.2.2"}, wantCall: "ip4 media.example"},
		{name: "ipv6 drops mapped v4", host: "media.example", family: "ipv6", want: []string{"2001:db8::1", "2001:db8::2"}, wantCall: "ip6 media.example"},
		{name: "ipv6 with only mapped v4", host: "v4only.example", family: "ipv6", wantCall: "ip6 v4only.example",
			wantErr: "lookup v4only.example: no ipv6 address"},
		{name: "ipv4 with none", host: "v6only.example", family: "ipv4", wantCall: "ip4 v6only.example",
			wantErr: "lookup v6only.example: no ipv4 address"},
		{name: "nothing at all", host: "empty.example", family: "any", wantCall: "ip empty.example",
			wantErr: "lookup empty.example: no address"},
		{name: "mapped answer unmaps", host: "mapped.example", family: "any", want: []string{"198.51.100.1"}, wantCall: "ip mapped.example"},
		{name: "duplicates", host: "duplicates.example", family: "any", want: []string{"192.0.2.1"}, wantCall: "ip duplicates.example"},
		{name: "unknown family", host: "media.example", family: "ipv5", wantErr: `unknown address family "ipv5"`},
		{name: "unspecified literal", host: "0.0.0.0", family: "any", wantErr: "0.0.0.0 is the unspecified address"},
		{name: "unspecified v6 literal", host: "[::]", family: "any", wantErr: ":: is the unspecified address"},
		{name: "sinkhole answer", host: "sinkhole.example", family: "ipv4", wantCall: "ip4 sinkhole.example",
			wantErr: "sinkhole.example resolved to 0.0.0.0, the unspecified address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.calls = nil
			got, err := Resolve(context.Background(), r, tt.host, tt.family)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			}
			var gotS []string
			for _, a := range got {
				gotS = append(gotS, a.String())
			}
			if !slices.Equal(gotS, tt.want) {
				t.Errorf("got %v, want %v", gotS, tt.want)
			}
			var wantCalls []string
			if host, ok := strings.CutPrefix(tt.wantCall, "ip "); ok {
				wantCalls = []string{"ip4 " + host, "ip6 " + host}
			} else if tt.wantCall != "" {
				wantCalls = []string{tt.wantCall}
			}
			slices.Sort(r.calls)
			if !slices.Equal(r.calls, wantCalls) {
				t.Errorf("lookups %v, want %v", r.calls, wantCalls)
			}
		})
	}
}

func TestResolveErrorsClassifyAsLookup(t *testing.T) {
	dnsErr := &net.DNSError{Err: "no such host", Name: "nx.example", IsNotFound: true}
	tests := []struct {
		name string
		r    *fakeResolver
		host string
	}{
		{"resolver error", &fakeResolver{err: dnsErr}, "nx.example"},
		{"no address of family", &fakeResolver{}, "empty.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(context.Background(), tt.r, tt.host, "ipv4")
			if _, ok := errors.AsType[*net.DNSError](err); !ok {
				t.Fatalf("err = %v, want a *net.DNSError inside", err)
			}
			if st, cause := Classify(context.Background(), err); st != StatusError || cause != "lookup failed" {
				t.Errorf("Classify = %s %q", st, cause)
			}
			if !strings.Contains(err.Error(), tt.host) {
				t.Errorf("err %q does not name %s", err, tt.host)
			}
		})
	}
	t.Run("other resolver errors are wrapped with the host", func(t *testing.T) {
		boom := errors.New("resolver exploded")
		_, err := Resolve(context.Background(), &fakeResolver{err: boom}, "media.example", "any")
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "media.example") {
			t.Errorf("err = %v", err)
		}
	})
}
