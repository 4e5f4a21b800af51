//go:build linux

package conn

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func rawWritable(syscall.RawConn) bool { return true }

// writeNonblocking writes what the socket takes now. Go keeps sockets in
// non-blocking mode, so a full socket answers EAGAIN instead of waiting;
// returning true from the callback tells the runtime not to wait either.
func writeNonblocking(raw syscall.RawConn, p []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			// RawSyscall: a non-blocking write returns promptly, so the
			// scheduler need not be told (syscall.Write would).
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n))
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				return true
			case e != 0:
				werr = e
				return true
			case int(r) <= 0:
				return true
			}
			n += int(r)
		}
		return true
	})
	if err != nil {
		return n, err
	}
	return n, werr
}

// peek returns how many bytes wait unread in the socket and whether the
// peer has closed its side, which poll reports even with bytes waiting.
func peek(raw syscall.RawConn) (waiting int, closed bool) {
	_ = raw.Control(func(fd uintptr) {
		if n, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil {
			waiting = n
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		if n, err := unix.Poll(pfd, 0); err == nil && n > 0 {
			closed = pfd[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
		}
	})
	return waiting, closed
}
