package broker

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// observeRoutes adds what a supervisor or Prometheus asks: /readyz and
// /metrics (/healthz, alive, is beside the API).
func (b *Broker) observeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /readyz", b.handleReady)
	allow, _ := parseAllow(b.cfg.MetricsAllow) // checked by Validate
	metrics := b.metrics.handler(b)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if !b.allowed(allow, r) {
			httpError(w, http.StatusForbidden, "metrics are served only to the addresses in metrics_allow")
			return
		}
		metrics.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /api/v1/cluster", func(w http.ResponseWriter, r *http.Request) {
		if !b.allowed(allow, r) {
			httpError(w, http.StatusForbidden, "the cluster's state is served only to the addresses in metrics_allow")
			return
		}
		b.handleCluster(w, r)
	})
}

// allowed reports a request from an address in metrics_allow: behind a
// proxy, the client's (the proxy's own would let anyone through it).
func (b *Broker) allowed(allow []netip.Prefix, r *http.Request) bool {
	a := b.proxies.clientAddr(r)
	return a.IsValid() && slices.ContainsFunc(allow, func(p netip.Prefix) bool { return p.Contains(a) })
}

// handleCluster is GET /api/v1/cluster: the nodes and their health.
func (b *Broker) handleCluster(w http.ResponseWriter, r *http.Request) {
	if b.backplane == nil {
		httpError(w, http.StatusNotFound, "not a cluster: this broker runs alone")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	st, err := b.backplane.Status(ctx)
	if err != nil {
		b.log.Warn("cluster status", "error", err)
		httpError(w, http.StatusServiceUnavailable, "cluster state unavailable")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// parseAllow reads metrics_allow: addresses and networks separated by spaces.
func parseAllow(s string) ([]netip.Prefix, error) {
	return parseNetworks("metrics_allow", strings.Fields(s))
}

// parseNetworks reads the addresses and networks of the config key named.
func parseNetworks(key string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range list {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%s: %q is neither an address nor a network like 10.0.0.0/8", key, f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// handleReady answers 200 when the listeners are up and the database takes a
// write, else 503 saying which check failed.
func (b *Broker) handleReady(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{"listeners": "ok", "database": "ok"}
	ready := true
	select {
	case <-b.stop:
		checks["listeners"], ready = "shutting down", false
	case <-b.ready:
		for name, want := range map[string]bool{"mqtt": b.cfg.MQTTAddr != "", "websocket": b.cfg.WSAddr != ""} {
			if up := map[string]bool{"mqtt": b.MQTTAddr() != "", "websocket": b.WSAddr() != ""}[name]; want && !up {
				checks["listeners"], ready = name+" listener down", false
			}
		}
	default:
		checks["listeners"], ready = "starting", false
	}
	if b.acme != nil {
		var ok bool
		if checks["certificate"], ok = b.acme.status(); !ok {
			ready = false
		}
	}
	if err := b.probeWrite(r.Context()); err != nil {
		checks["database"], ready = err.Error(), false
		b.log.Warn("readiness: database not writable", "error", err)
	}
	status, word := http.StatusOK, "ready"
	if !ready {
		status, word = http.StatusServiceUnavailable, "not ready"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": checks})
}

// probeWait bounds a readiness check's wait for the database.
const probeWait = 2 * time.Second

// probeWrite checks that the database takes a write. Concurrent checks (a
// supervisor and an uptime monitor at once) share the probe in flight
// rather than each writing, or being refused as not ready; a locked
// database keeps a probe waiting for SQLite's busy timeout, longer than a
// readiness check may take.
func (b *Broker) probeWrite(ctx context.Context) error {
	b.probeMu.Lock()
	run := b.probeRun
	if run == nil || run.finished() {
		run = &writeProbe{done: make(chan struct{})}
		b.probeRun = run
		go func() {
			run.err = b.store.CheckWritable(context.Background())
			close(run.done)
		}()
	}
	b.probeMu.Unlock()
	select {
	case <-run.done:
		return run.err
	case <-time.After(probeWait):
		return fmt.Errorf("write probe: no answer from the database in %v", probeWait)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeProbe is one readiness write; err is set before done is closed.
type writeProbe struct {
	done chan struct{}
	err  error
}

func (p *writeProbe) finished() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}
