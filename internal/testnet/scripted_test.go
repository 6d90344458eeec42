package testnet_test

import (
	"io"
	"net"
	"testing"

	"github.com/mediareach/terraform-provider-media/internal/testnet"
)

func TestScriptedTCP(t *testing.T) {
	p := testnet.ScriptedTCP(t, 4, func(req []byte) ([]byte, bool) {
		return append([]byte("got "), req...), true
	})
	c := testnet.Dial(t, "tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(p)})
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	// The answer, then the hang-up.
	if got, err := io.ReadAll(c); err != nil || string(got) != "got ping" {
		t.Errorf("read %q, %v", got, err)
	}
}
