package testnet

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// UnansweredTCP returns a 127.0.0.1 port whose SYNs go unanswered, which is
// how a firewall that drops packets looks to a TCP prober. It is a listener
// with backlog 0 whose single accept-queue slot is taken by a connection
// that is never accepted: Linux drops further SYNs while the queue is full.
// net.Listen always asks for the system maximum, hence raw syscalls.
func UnansweredTCP(tb testing.TB) uint16 {
	tb.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatalf("testnet: socket: %v", err)
	}
	tb.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		tb.Fatalf("testnet: bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		tb.Fatalf("testnet: listen: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		tb.Fatalf("testnet: getsockname: %v", err)
	}
	sa4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		tb.Fatalf("testnet: getsockname returned %T", sa)
	}
	p := uint16(sa4.Port)
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(tb.Context(), "tcp", net.JoinHostPort(loopback4, strconv.Itoa(int(p))))
	if err != nil {
		tb.Fatalf("testnet: filling the accept queue: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return p
}
