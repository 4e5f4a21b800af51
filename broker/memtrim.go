package broker

import (
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// memTrimmer hands memory back to the operating system once the number of
// connections settles after a large change (a reconnect storm, a crowd
// arriving, a crowd leaving).
//
// Go collects garbage when the heap doubles, and shrinks a goroutine's stack
// only during a collection. Accepting thousands of connections grows every
// connection goroutine's stack while it logs in and leaves the heap full of
// login garbage; with connections then sitting idle, nothing allocates, no
// collection comes, and the broker keeps its peak memory (about 60 KiB per
// idle connection where 25 is enough). A few forced collections once things
// are quiet cost a fraction of a second of CPU per burst.
type memTrimmer struct {
	last, trimmedAt int64
	free            func()
}

// trimRounds is how many collections a trim makes: each halves the stacks
// of idle goroutines that use less than a quarter of theirs.
const trimRounds = 3

// tick is called every second with the number of connections; it trims
// when the number held still since the last tick and differs from the one
// at the last trim by at least 500 or 10%.
func (m *memTrimmer) tick(n int64) bool {
	moving := n != m.last
	m.last = n
	if moving {
		return false
	}
	d := n - m.trimmedAt
	if d < 0 {
		d = -d
	}
	if d < max(500, m.trimmedAt/10) {
		return false
	}
	for range trimRounds {
		m.free()
	}
	m.trimmedAt = n
	return true
}

// trimMemory returns the once-a-second check that trims memory.
func (b *Broker) trimMemory() func() {
	m := memTrimmer{free: debug.FreeOSMemory}
	return func() {
		if m.tick(atomic.LoadInt64(&b.mqtt.Info.ClientsConnected)) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.log.Debug("memory trimmed", "connections", m.trimmedAt, "heap_mib", ms.HeapAlloc>>20, "stacks_mib", ms.StackInuse>>20)
		}
	}
}
