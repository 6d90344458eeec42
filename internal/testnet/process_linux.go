package testnet

import "syscall"

// childAttr makes the kernel kill a server whose test binary died without
// running its cleanup (a -timeout panic, a kill), so no server outlives it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
