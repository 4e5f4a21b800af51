//go:build !linux

package conn

import "syscall"

// Elsewhere every write goes through the background goroutine, and the
// socket's backlog is not measured.
func rawWritable(syscall.RawConn) bool { return false }

func writeNonblocking(syscall.RawConn, []byte) (int, error) { return 0, nil }

func peek(syscall.RawConn) (int, bool) { return 0, false }
