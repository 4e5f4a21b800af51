package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a lock-free latency histogram in microseconds: exact below 64 µs,
// then 32 sub-buckets per power of two (≤ 3% error), up to ~70 minutes.
type hist struct {
	b     [64 * 32]atomic.Int64
	n     atomic.Int64
	maxUS atomic.Int64
}

func bucketOf(us int64) int {
	if us < 64 {
		if us < 0 {
			us = 0
		}
		return int(us)
	}
	e := 63 - bits.LeadingZeros64(uint64(us)) // us in [2^e, 2^(e+1)), e >= 6
	sub := int((us >> (e - 5)) & 31)
	return 64 + (e-6)*32 + sub
}

// lowerOf is the smallest value of bucket i (for percentiles, the bucket's
// middle is reported).
func midOf(i int) float64 {
	if i < 64 {
		return float64(i)
	}
	e := (i-64)/32 + 6
	sub := (i - 64) % 32
	lo := (int64(1) << e) + int64(sub)<<(e-5)
	w := int64(1) << (e - 5)
	return float64(lo) + float64(w)/2
}

func (h *hist) add(d time.Duration) {
	us := d.Microseconds()
	i := bucketOf(us)
	if i >= len(h.b) {
		i = len(h.b) - 1
	}
	h.b[i].Add(1)
	h.n.Add(1)
	for {
		m := h.maxUS.Load()
		if us <= m || h.maxUS.CompareAndSwap(m, us) {
			break
		}
	}
}

// pct returns the p-th percentile (0 < p ≤ 100) in milliseconds.
func (h *hist) pct(p float64) float64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(float64(n)*p/100 + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i := range h.b {
		seen += h.b[i].Load()
		if seen >= rank {
			return midOf(i) / 1000
		}
	}
	return float64(h.maxUS.Load()) / 1000
}

type latency struct {
	N     int64   `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
}

func (h *hist) summary() latency {
	return latency{N: h.n.Load(), P50ms: h.pct(50), P95ms: h.pct(95), P99ms: h.pct(99), MaxMS: float64(h.maxUS.Load()) / 1000}
}
