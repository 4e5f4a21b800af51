package broker

import "testing"

func TestMemTrimmerWaitsForConnectionsToSettle(t *testing.T) {
	frees := 0
	m := memTrimmer{free: func() { frees++ }}
	steps := []struct {
		n    int64
		trim bool
	}{
		{0, false},
		{3000, false}, // a crowd arriving
		{9000, false},
		{12000, false},
		{12000, true}, // settled: trim
		{12000, false},
		{12100, false}, // small drift: not worth it
		{12100, false},
		{12100, false},
		{2000, false}, // a crowd leaving
		{2000, true},
		{2000, false},
	}
	for i, s := range steps {
		if got := m.tick(s.n); got != s.trim {
			t.Fatalf("step %d (n=%d): trimmed=%v, want %v", i, s.n, got, s.trim)
		}
	}
	if frees != 2*trimRounds {
		t.Fatalf("%d collections, want %d", frees, 2*trimRounds)
	}
}
