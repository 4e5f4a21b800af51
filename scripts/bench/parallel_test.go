package main

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestParallelRunsEveryIndexOnce(t *testing.T) {
	seen := make([]atomic.Int32, 1000)
	if err := parallel(len(seen), 8, func(k int) error { seen[k].Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	for k := range seen {
		if n := seen[k].Load(); n != 1 {
			t.Fatalf("index %d ran %d times", k, n)
		}
	}
}

func TestParallelStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int32
	err := parallel(1000, 1, func(k int) error {
		ran.Add(1)
		if k == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() != 11 {
		t.Fatalf("err %v after %d calls, want boom after 11", err, ran.Load())
	}
}
