package testnet_test

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

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

func TestScriptedUDPFromAnswersFromThere(t *testing.T) {
	p := testnet.ScriptedUDPFrom(t, "127.0.0.2", func(_ int, req []byte) [][]byte { return [][]byte{req} })
	// Unconnected, so the reply from 127.0.0.2 is seen.
	pc := testnet.ListenUDP(t, "127.0.0.1")
	_ = pc.SetDeadline(time.Now().Add(5 * time.Second))
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(p)}
	if _, err := pc.WriteTo([]byte("ping"), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "ping" || from.String() != net.JoinHostPort("127.0.0.2", strconv.Itoa(int(p))) {
		t.Errorf("got %q from %s", buf[:n], from)
	}
}

func TestTCPRepliesAnswersTheHead(t *testing.T) {
	p := testnet.TCPReplies(t, func(head []byte) []byte { return bytes.ToUpper(head) })
	c := testnet.Dial(t, "tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(p)})
	// The head arrives in two pieces; the reply waits for its end.
	for _, part := range []string{"hello\r\n", "x: y\r\n\r\n"} {
		if _, err := c.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	want := "HELLO\r\nX: Y\r\n\r\n"
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if string(buf) != want {
		t.Errorf("got %q, want %q", buf, want)
	}
}
