package broker

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// memTrimmer keeps the broker's memory close to what its connections use:
// once the number of connections settles after a large change it forces a
// few collections (stacks shrink only then) and hands memory back, then sets
// a soft memory limit a little above use, because Go counts goroutine
// stacks in its collection goal and lets garbage pile up behind many idle
// connections (docs/PERFORMANCE.md, changes 10 and 12). Only with Options.TuneRuntime.
type memTrimmer struct {
	last, trimmedAt int64
	free            func()
	inUse           func() (total, live int64) // what the limit counts, and the live heap
	setLimit        func(int64)
	limit           int64 // 0: none
	// disturbed: the limit was dropped for a crowd since the last trim, so
	// the next still moment trims and sets it again even if the count came
	// back near where it was (a reconnect storm).
	disturbed bool
}

// crowd is a change within one second that drops the limit until the count
// settles: a limit just above earlier use would make the collector run all
// the time while a crowd logs in.
const crowd = 100

// trimRounds is how many collections a trim makes: each halves the stacks
// of idle goroutines that use less than a quarter of theirs.
const trimRounds = 3

// minHeadroom is the least garbage the limit lets pile up; above it, a
// quarter of the live heap.
const minHeadroom = 32 << 20

// tick is called every second with the number of connections. It trims
// when the number held still since the last tick and differs enough from
// the one at the last trim, or a crowd came or went since.
func (m *memTrimmer) tick(n int64) bool {
	step := abs(n - m.last)
	m.last = n
	big := abs(n-m.trimmedAt) >= max(500, m.trimmedAt/10)
	switch {
	case step > 0 && (big || step > crowd):
		if m.limit != 0 {
			m.disturbed = true
		}
		m.limitTo(0)
		return false
	case step == 0 && (big || m.disturbed):
		for range trimRounds {
			m.free()
		}
		m.trimmedAt, m.disturbed = n, false
		m.follow(true)
		return true
	default:
		m.follow(false)
		return false
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// follow sets the limit (after a trim) or raises it when use has grown, so
// that it never sits below what is live.
func (m *memTrimmer) follow(set bool) {
	if !set && m.limit == 0 {
		return
	}
	total, live := m.inUse()
	headroom := max(minHeadroom, live/4)
	if set || total+headroom/2 > m.limit {
		m.limitTo(total + headroom)
	}
}

func (m *memTrimmer) limitTo(l int64) {
	if l == m.limit {
		return
	}
	m.limit = l
	if l == 0 {
		l = math.MaxInt64
	}
	m.setLimit(l)
}

// runtimeInUse returns what Go's memory limit counts (runtime memory not
// returned to the system) less the heap's free space and dead objects as
// of the last collection, and the live heap.
func runtimeInUse() (total, live int64) {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(s)
	v := func(i int) int64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(s[i].Value.Uint64())
	}
	live = v(4)
	total = v(0) - v(1) - v(2) - v(3) + live
	return total, live
}

// trimMemory returns the once-a-second check that trims memory, and what
// undoes its limit when the broker closes.
func (b *Broker) trimMemory() (tick func(), done func()) {
	m := &memTrimmer{free: debug.FreeOSMemory, inUse: runtimeInUse, setLimit: func(l int64) { debug.SetMemoryLimit(l) }}
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		m.setLimit = func(int64) {} // the operator set GOMEMLIMIT: theirs stands
	}
	tick = func() {
		if m.tick(atomic.LoadInt64(&b.mqtt.Info.ClientsConnected)) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.log.Debug("memory trimmed", "connections", m.trimmedAt, "heap_mib", ms.HeapAlloc>>20,
				"stacks_mib", ms.StackInuse>>20, "limit_mib", m.limit>>20)
		}
	}
	return tick, func() { m.limitTo(0) }
}
