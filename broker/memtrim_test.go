package broker

import "testing"

func TestMemTrimmerWaitsForConnectionsToSettle(t *testing.T) {
	frees := 0
	var total, live, limit int64 = 100 << 20, 40 << 20, -1
	m := memTrimmer{free: func() { frees++ }, inUse: func() (int64, int64) { return total, live },
		setLimit: func(l int64) { limit = l }}
	const none = int64(^uint64(0) >> 1)
	steps := []struct {
		n         int64
		total     int64
		trim      bool
		wantLimit int64 // -1: never set
	}{
		{0, 100 << 20, false, -1},
		{3000, 100 << 20, false, -1}, // a crowd arriving
		{9000, 300 << 20, false, -1},
		{12000, 400 << 20, false, -1},
		{12000, 400 << 20, true, 400<<20 + minHeadroom}, // settled: trim, then a limit above use
		{12000, 400 << 20, false, 400<<20 + minHeadroom},
		{12100, 405 << 20, false, 400<<20 + minHeadroom}, // small drift: not worth a trim
		{12100, 420 << 20, false, 420<<20 + minHeadroom}, // use grew: the limit follows
		{12100, 420 << 20, false, 420<<20 + minHeadroom},
		{6000, 420 << 20, false, none}, // a crowd leaving: no limit while it moves
		{2000, 420 << 20, false, none},
		{2000, 90 << 20, true, 90<<20 + minHeadroom},
		{2000, 90 << 20, false, 90<<20 + minHeadroom},
		{2150, 95 << 20, false, none},                // 150 clients in a second: no limit while they log in
		{2150, 96 << 20, true, 96<<20 + minHeadroom}, // settled: trim (a small change, but the limit was off)
		{20000, 400 << 20, false, none},
		{20000, 400 << 20, true, 400<<20 + minHeadroom},
		{8000, 300 << 20, false, none}, // a restart: everyone drops and comes back
		{19900, 500 << 20, false, none},
		{19900, 410 << 20, true, 410<<20 + minHeadroom}, // back near 20,000: still trimmed, limit set again
	}
	for i, s := range steps {
		total = s.total
		if got := m.tick(s.n); got != s.trim {
			t.Fatalf("step %d (n=%d): trimmed=%v, want %v", i, s.n, got, s.trim)
		}
		if limit != s.wantLimit {
			t.Fatalf("step %d (n=%d): limit %d MiB, want %d MiB", i, s.n, limit>>20, s.wantLimit>>20)
		}
	}
	if frees != 5*trimRounds {
		t.Fatalf("%d collections, want %d", frees, 5*trimRounds)
	}
	// A large live heap gets a quarter of itself as headroom.
	live = 400 << 20
	m.tick(30000)
	m.tick(30000)
	if m.limit == 0 {
		t.Fatal("no limit after a trim")
	}
	if limit != total+live/4 {
		t.Fatalf("limit %d MiB with a 400 MiB live heap, want %d", limit>>20, (total+live/4)>>20)
	}
}

func TestRuntimeInUseIsPlausible(t *testing.T) {
	total, live := runtimeInUse()
	if live <= 0 || total <= live {
		t.Fatalf("in use %d, live heap %d", total, live)
	}
}
