//go:build unix

package queuedconn

import "syscall"

func rawWritable(syscall.RawConn) bool { return true }

// writeNonblocking writes what the socket takes now. Go keeps sockets in
// non-blocking mode, so a full socket answers EAGAIN instead of waiting;
// returning true from the callback tells the runtime not to wait either.
func writeNonblocking(raw syscall.RawConn, p []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, e := syscall.Write(int(fd), p[n:])
			if m > 0 {
				n += m
			}
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				return true
			case e != nil:
				werr = e
				return true
			case m <= 0:
				return true
			}
		}
		return true
	})
	if err != nil {
		return n, err
	}
	return n, werr
}
