//go:build !linux

package testnet

import "testing"

// UnansweredTCP needs Linux's accept-queue behaviour; elsewhere it skips.
func UnansweredTCP(tb testing.TB) uint16 {
	tb.Helper()
	tb.Skip("UnansweredTCP needs Linux")
	return 0
}
