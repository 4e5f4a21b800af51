package conn

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// deep uses about n bytes of stack, as mochi's handling of a PUBLISH does.
//
//go:noinline
func deep(n int) byte {
	var b [1024]byte
	b[n%len(b)] = byte(n)
	if n <= len(b) {
		return b[0]
	}
	return deep(n-len(b)) + b[n%len(b)]
}

// stacksAfter has n readers each receive one packet starting with first,
// handle it 24 KiB deep and wait for the next, and returns the stack memory
// in use once collections no longer change it. With earlier, each reader's
// client also published 10 s before that packet.
func stacksAfter(t *testing.T, n int, first byte, earlier bool) uint64 {
	var clock atomic.Int64
	clock.Store(1000)
	var started sync.WaitGroup
	var handled sync.WaitGroup
	peers := make([]net.Conn, n)
	for i := range n {
		a, b := net.Pipe()
		peers[i] = a
		handled.Add(1)
		started.Add(1)
		go func() {
			c := Wrap(b, Options{WarmStacks: true}, nil)
			c.warm.now = clock.Load
			if earlier {
				c.warm.published()
			}
			started.Done()
			buf := make([]byte, 64)
			once := true
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
				deep(24 << 10)
				if once {
					handled.Done()
					once = false
				}
			}
		}()
	}
	defer func() {
		for _, a := range peers {
			a.Close()
		}
	}()
	started.Wait()
	clock.Store(1010)
	for _, a := range peers {
		if _, err := a.Write([]byte{first, 2, 0, 1}); err != nil {
			t.Fatal(err)
		}
	}
	handled.Wait()
	// A collection halves a parked stack at most once, and skips a reader
	// not parked yet: collect until three in a row change nothing.
	var ms runtime.MemStats
	var last uint64
	same := 0
	for deadline := time.Now().Add(waitFor); same < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stack memory still changing after %v of collections", waitFor)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.StackInuse == last {
			same++
		} else {
			last, same = ms.StackInuse, 0
		}
	}
	return last
}

const waitFor = 10 * time.Second

func TestWarmPublisherKeepsItsStack(t *testing.T) {
	const n = 200
	cold := stacksAfter(t, n, 0x82, false)  // SUBSCRIBE: shrinks
	warm := stacksAfter(t, n, 0x30, true)   // publishing for 10 s: kept
	burst := stacksAfter(t, n, 0x30, false) // a first PUBLISH (a login's requests): shrinks
	t.Logf("stacks in use: %d KiB publishing, %d KiB after one PUBLISH, %d KiB after a SUBSCRIBE", warm>>10, burst>>10, cold>>10)
	if warm < cold+n*12<<10 {
		t.Fatalf("publishers' stacks were shrunk: %d KiB in use, listeners' %d KiB", warm>>10, cold>>10)
	}
	if burst > cold+n*4<<10 {
		t.Fatalf("one PUBLISH kept the stacks: %d KiB in use, listeners' %d KiB", burst>>10, cold>>10)
	}
}
