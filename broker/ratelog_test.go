package broker

import "testing"

// The first event is logged, the next ones within 10 s only counted, and
// the line after that reports them all.
func TestRateLogCountsBetweenLines(t *testing.T) {
	var r rateLog
	if n, due := r.note(); !due || n != 1 {
		t.Fatalf("first event: %d, %v", n, due)
	}
	for range 5 {
		if _, due := r.note(); due {
			t.Fatal("logged again within 10 s")
		}
	}
	r.logged.Add(-10) // the last line was 10 s ago
	if n, due := r.note(); !due || n != 6 {
		t.Fatalf("after 10 s: %d, %v, want 6 events reported", n, due)
	}
}
