package dict

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchQueries mixes the kinds of lookups a reader makes.
var benchQueries = []string{
	"the", "went", "mice", "better", "Children", "look forward to", "looking forward to", "abandon",
	"recieve", "definately", "photosynthesis", "jumped", "ubiquitous", "serendipity",
	"give up", "in spite of", "studies", "happier", "zzzzqqq", "teh", "beautifull", "computer",
}

// rssKiB reads one of VmRSS, RssAnon (heap) or RssFile (mapped files and
// the binary, where the dictionary lives).
func rssKiB(tb testing.TB, field string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skip("no /proc")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	tb.Skip("no VmRSS")
	return 0
}

// BenchmarkLookupCore reports the latency percentiles of Lookup on the core
// dictionary and how much the process's RSS grew from opening it and
// looking words up. TACHIKOMA_BENCH_DICT=FILE measures another file.
func BenchmarkLookupCore(b *testing.B) { benchLookup(b, benchQueries) }

// BenchmarkReverseCore is the same for Chinese→English lookups, which scan
// the translations.
func BenchmarkReverseCore(b *testing.B) {
	benchLookup(b, []string{"苹果", "学习", "电脑", "快乐", "猫"})
}

func benchLookup(b *testing.B, queries []string) {
	runtime.GC()
	beforeFile, beforeAnon := rssKiB(b, "RssFile"), rssKiB(b, "RssAnon")
	open := Core
	if p := os.Getenv("TACHIKOMA_BENCH_DICT"); p != "" { // e.g. the full dictionary
		open = func() (*Dict, error) { return OpenFile(p) }
	}
	d, err := open()
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		if _, err := d.Lookup(q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	runtime.GC()
	afterFile, afterAnon := rssKiB(b, "RssFile"), rssKiB(b, "RssAnon")
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.5), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(afterFile-beforeFile), "rss-file-growth-KiB")
	b.ReportMetric(float64(afterAnon-beforeAnon), "rss-anon-growth-KiB")
}
