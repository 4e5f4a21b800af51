package main

import (
	"cmp"
	"fmt"
	"strings"
)

// comparison is ours/peer (mosquitto or NATS) for one scenario, each side
// averaged over rounds.
type comparison struct {
	Scenario string             `json:"scenario"`
	Peer     string             `json:"peer"`
	Ours     map[string]float64 `json:"tachikoma"`
	Theirs   map[string]float64 `json:"peer_metrics"`
	Ratio    map[string]float64 `json:"ratio_ours_over_peer"`
}

type target struct {
	Name   string `json:"name"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
	Scaled bool   `json:"scaled_down,omitempty"` // run smaller than the target's size (-quick)
	// Capped: the per-connection figure is met, at as many connections as
	// the open-files limit lets one process hold (fewer than the target's).
	Capped bool `json:"met_at_open_files_limit,omitempty"`
}

var metricOrder = []string{"cpu_us_per_delivered", "p50_ms", "p99_ms", "delivered_share", "delivered_per_s", "rss_peak_mib", "connects_per_s", "rss_per_conn_kib"}

func metrics(r result) map[string]float64 {
	m := map[string]float64{
		"p50_ms":         r.Latency.P50ms,
		"p99_ms":         r.Latency.P99ms,
		"rss_peak_mib":   float64(r.RSSPeakKiB) / 1024,
		"connects_per_s": r.Connect.PerSec,
	}
	if r.Scenario == "idle" {
		m = map[string]float64{"rss_per_conn_kib": r.RSSPerConnKiB, "rss_peak_mib": float64(r.RSSPeakKiB) / 1024,
			"connects_per_s": r.Connect.PerSec}
		return m
	}
	m["cpu_us_per_delivered"] = r.CPUusPerDelivered
	m["delivered_share"] = r.Share
	m["delivered_per_s"] = r.DeliveredPerS
	return m
}

func compare(results []result) []comparison {
	var out []comparison
	seen := map[string]bool{}
	for _, r := range results {
		if seen[r.Scenario] {
			continue
		}
		seen[r.Scenario] = true
		sum := map[string]map[string]float64{}
		n := map[string]float64{}
		for _, q := range results {
			if q.Scenario != r.Scenario {
				continue
			}
			if sum[q.Broker] == nil {
				sum[q.Broker] = map[string]float64{}
			}
			for k, v := range metrics(q) {
				sum[q.Broker][k] += v
			}
			n[q.Broker]++
		}
		for _, peer := range []string{kindMosq, kindNATS} {
			if n[kindOurs] == 0 || n[peer] == 0 {
				continue
			}
			c := comparison{Scenario: r.Scenario, Peer: peer, Ours: map[string]float64{}, Theirs: map[string]float64{}, Ratio: map[string]float64{}}
			for k := range sum[kindOurs] {
				c.Ours[k] = sum[kindOurs][k] / n[kindOurs]
				c.Theirs[k] = sum[peer][k] / n[peer]
				if c.Theirs[k] != 0 {
					c.Ratio[k] = c.Ours[k] / c.Theirs[k]
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// peerTarget is the broker each scenario's targets compare with: durable
// DMs with NATS (JetStream keeps them, as our history does), when it ran,
// the rest with mosquitto. mosquitto stays the DMs' reference line.
func peerTarget(scenario string, cmps []comparison) string {
	if strings.HasPrefix(scenario, "dm") {
		for _, c := range cmps {
			if c.Scenario == scenario && c.Peer == kindNATS {
				return kindNATS
			}
		}
	}
	return kindMosq
}

func evaluate(o *options, results []result, cmps []comparison) []target {
	var ts []target
	for _, c := range cmps {
		if c.Scenario == "idle" || c.Peer != peerTarget(c.Scenario, cmps) {
			continue
		}
		ts = append(ts,
			target{Name: c.Scenario + ": broker CPU per delivered message", Want: "≤ 1.0× " + c.Peer,
				Got: fmt.Sprintf("%.2f× (%.2f vs %.2f µs)", c.Ratio["cpu_us_per_delivered"], c.Ours["cpu_us_per_delivered"], c.Theirs["cpu_us_per_delivered"]),
				Met: c.Ratio["cpu_us_per_delivered"] <= 1.0},
			target{Name: c.Scenario + ": p99 latency", Want: "≤ " + c.Peer + "'s",
				Got: fmt.Sprintf("%.2f ms vs %.2f ms", c.Ours["p99_ms"], c.Theirs["p99_ms"]),
				Met: c.Ours["p99_ms"] <= c.Theirs["p99_ms"]})
	}
	for _, r := range results {
		switch {
		case strings.HasPrefix(r.Scenario, "room") || strings.HasPrefix(r.Scenario, "dm"):
			// The peers' counts too: a comparison with a broker that lost
			// messages would mean nothing.
			ts = append(ts, target{Name: fmt.Sprintf("%s round %d on %s: every message delivered", r.Scenario, r.Round, r.Broker), Want: "100%",
				Got: fmt.Sprintf("%d/%d", r.Delivered, r.Offered), Met: r.Delivered == r.Offered && r.Offered > 0})
		case r.Broker == kindOurs && r.Scenario == "idle":
			ts = append(ts, target{Name: fmt.Sprintf("idle round %d: broker RSS per connection", r.Round), Want: "20,000 connections at ≤ 25 KiB each",
				Got: fmt.Sprintf("%d at %.1f KiB", r.Connect.N, r.RSSPerConnKiB), Met: r.RSSPerConnKiB <= 25 && r.Connect.N >= 20000,
				Scaled: r.Connect.N < 20000 && !o.idleCapped, Capped: r.Connect.N < 20000 && o.idleCapped && r.RSSPerConnKiB <= 25})
		case r.Scenario == "reconnect-storm":
			ts = append(ts, target{Name: "reconnect storm: all clients back", Want: "10,000 clients back ≤ 20 s",
				Got: fmt.Sprintf("%d/%d in %.2f s", int(r.Extra["reconnected"]), r.Connect.N, r.Extra["all_back_s"]),
				Met: int(r.Extra["reconnected"]) == r.Connect.N && r.Extra["all_back_s"] <= 20 && r.Connect.N >= 10000, Scaled: r.Connect.N < 10000})
		case r.Scenario == "history":
			ts = append(ts, target{Name: "history: 50-message page p99", Want: "≤ 5 ms on 1,000,000 messages",
				Got: fmt.Sprintf("%.2f ms on %d", r.Latency.P99ms, o.histMsgs), Met: r.Latency.P99ms <= 5 && r.Extra["bad_replies"] == 0 && o.histMsgs >= 1_000_000,
				Scaled: o.histMsgs < 1_000_000})
		}
	}
	return ts
}

func printSummary(rep *report) {
	fmt.Println()
	fmt.Printf("machine: %d CPUs (%s), %s, %s, %s, kernel %s — load generator and brokers share the CPUs\n",
		rep.Machine.NProc, rep.Machine.CPU, rep.Machine.Go, cmp.Or(rep.Machine.Mosquitto, "no mosquitto"), cmp.Or(rep.Machine.NATS, "no NATS"), rep.Machine.Kernel)
	if len(rep.Comparisons) > 0 {
		fmt.Println("\ntachikoma / peer (mean of rounds):")
		fmt.Printf("  %-15s %-9s", "scenario", "peer")
		for _, k := range metricOrder {
			fmt.Printf(" %21s", k)
		}
		fmt.Println()
		for _, c := range rep.Comparisons {
			fmt.Printf("  %-15s %-9s", c.Scenario, c.Peer)
			for _, k := range metricOrder {
				if _, ok := c.Ours[k]; !ok {
					fmt.Printf(" %21s", "-")
					continue
				}
				fmt.Printf(" %21s", fmt.Sprintf("%.3g/%.3g=%.2f", c.Ours[k], c.Theirs[k], c.Ratio[k]))
			}
			fmt.Println()
		}
	}
	fmt.Println("\ntargets:")
	for _, t := range rep.Targets {
		mark := "MISSED"
		if t.Met {
			mark = "met"
		}
		if t.Scaled {
			mark += " (run scaled down; not the target's size)"
		}
		if t.Capped {
			mark = "met per connection, at the most connections the open-files limit allows"
		}
		fmt.Printf("  %-60s want %-38s got %-32s %s\n", t.Name, t.Want, t.Got, mark)
	}
}
