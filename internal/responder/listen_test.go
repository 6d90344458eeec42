package responder_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/responder"
	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		spec    string
		limit   int
		want    []uint16
		wantErr string
	}{
		{spec: "3478", want: []uint16{3478}},
		{spec: "3478,10000-10002", want: []uint16{3478, 10000, 10001, 10002}},
		{spec: " 5, 3 ,5,1-3 ", want: []uint16{1, 2, 3, 5}},
		{spec: "65535,1", want: []uint16{1, 65535}},
		{spec: "", want: nil},
		{spec: "  ", want: nil},
		{spec: "1-10", limit: 10, want: []uint16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{spec: "1-10,5", limit: 10, want: []uint16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{spec: "1-11", limit: 10, wantErr: "more than 10 ports"},
		{spec: "1-65535", limit: 4096, wantErr: "more than 4096 ports"},
		{spec: "0", wantErr: `invalid port "0"`},
		{spec: "3478,70000", wantErr: `invalid port "70000"`},
		{spec: "3478,udp", wantErr: `invalid port "udp"`},
		{spec: "10-", wantErr: `invalid port "10-"`},
		{spec: "-10", wantErr: `invalid port "-10"`},
		{spec: "1-2-3", wantErr: `invalid port "1-2-3"`},
		{spec: "200-100", wantErr: `port range "200-100" is reversed`},
		{spec: "3478,,5", wantErr: "empty port"},
		{spec: "3478,", wantErr: "empty port"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%d", tt.spec, tt.limit), func(t *testing.T) {
			got, err := responder.ParsePorts(tt.spec, tt.limit)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListenBusyPort(t *testing.T) {
	tests := []struct {
		network string
		busy    func(t *testing.T) (uint16, func())
	}{
		{"udp", func(t *testing.T) (uint16, func()) {
			pc := testnet.ListenUDP(t, "127.0.0.1")
			return testnet.Port(pc.LocalAddr()), func() { _ = pc.Close() }
		}},
		{"tcp", func(t *testing.T) (uint16, func()) {
			ln := testnet.ListenTCP(t, "127.0.0.1")
			return testnet.Port(ln.Addr()), func() { _ = ln.Close() }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			busy, release := tt.busy(t)
			t.Cleanup(release)
			// A free port of each kind is bound first; the failure must
			// release them.
			freeUDP, freeTCP := testnet.ClosedPort(t, "udp"), testnet.ClosedPort(t, "tcp")
			udp, tcp := []uint16{freeUDP}, []uint16{freeTCP}
			if tt.network == "udp" {
				udp = append(udp, busy)
			} else {
				tcp = append(tcp, busy)
			}
			pcs, lns, err := responder.Listen(context.Background(), udp, tcp, "127.0.0.1", nil)
			if err == nil {
				t.Fatalf("Listen bound a busy port: %v %v", pcs, lns)
			}
			want := fmt.Sprintf("%s port %d on 127.0.0.1: address already in use", tt.network, busy)
			if err.Error() != want || !errors.Is(err, syscall.EADDRINUSE) {
				t.Errorf("err = %q, want %q wrapping EADDRINUSE", err, want)
			}
			if pcs != nil || lns != nil {
				t.Errorf("sockets returned with an error")
			}
			// Rebinding proves the free ports were released.
			pcs, lns, err = responder.Listen(context.Background(), []uint16{freeUDP}, []uint16{freeTCP}, "127.0.0.1", nil)
			if err != nil {
				t.Fatalf("ports not released: %v", err)
			}
			_ = pcs[0].Close()
			_ = lns[0].Close()
		})
	}
}

func TestListenServe(t *testing.T) {
	pcs, lns, err := responder.Listen(context.Background(), []uint16{0, 0}, []uint16{0}, "127.0.0.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcs) != 2 || len(lns) != 1 {
		t.Fatalf("got %d packet conns and %d listeners", len(pcs), len(lns))
	}
	start(t, pcs, lns, responder.Options{})
	for _, pc := range pcs {
		testnet.STUNExchange(t, testnet.Dial(t, "udp", pc.LocalAddr()))
	}
	testnet.STUNExchange(t, testnet.Dial(t, "tcp", lns[0].Addr()))
}
