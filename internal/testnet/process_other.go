//go:build !linux

package testnet

import "syscall"

// childAttr: Pdeathsig is Linux-only; elsewhere cleanup alone stops servers.
func childAttr() *syscall.SysProcAttr { return nil }
