//go:build !unix

package queuedconn

import "syscall"

// Elsewhere every write goes through the background goroutine.
func rawWritable(syscall.RawConn) bool { return false }

func writeNonblocking(syscall.RawConn, []byte) (int, error) { return 0, nil }
