//go:build !nometrics

package broker

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// promMetrics are the broker's Prometheus series on a registry of its own (no
// globals: a process, a test, may run several brokers).
type promMetrics struct {
	reg           *prometheus.Registry
	loginsOK      prometheus.Counter
	loginsFailed  prometheus.Counter
	in, out       [topics.KindPresence + 1]prometheus.Counter
	refusals      *prometheus.CounterVec
	historyWrites prometheus.Counter
	historyFailed prometheus.Counter
	historyCommit prometheus.Histogram
	backups       *prometheus.CounterVec
	lastBackup    prometheus.Gauge
}

func newMetrics(b *Broker) *promMetrics {
	m := &promMetrics{reg: prometheus.NewRegistry()}
	logins := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tachikoma_logins_total",
		Help: "Password and token checks at CONNECT, by result."}, []string{"result"})
	m.loginsOK, m.loginsFailed = logins.WithLabelValues("ok"), logins.WithLabelValues("failed")
	in := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tachikoma_messages_in_total",
		Help: "PUBLISH packets received from clients (refused ones too), by topic kind."}, []string{"kind"})
	out := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tachikoma_messages_out_total",
		Help: "Deliveries routed to subscribers, by topic kind."}, []string{"kind"})
	for k := range m.in {
		m.in[k], m.out[k] = in.WithLabelValues(topics.Kind(k).String()), out.WithLabelValues(topics.Kind(k).String())
	}
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tachikoma_refusals_total",
		Help: "Connections and messages refused, by stage and MQTT reason."}, []string{"stage", "reason"})
	history := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tachikoma_history_writes_total",
		Help: "Chat messages written to history, by result."}, []string{"result"})
	m.historyWrites, m.historyFailed = history.WithLabelValues("ok"), history.WithLabelValues("failed")
	m.historyCommit = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tachikoma_history_commit_seconds",
		Help:    "Time of one history commit (a batch of messages).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})
	m.backups = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tachikoma_backups_total",
		Help: "Scheduled backups, by result."}, []string{"result"})
	m.lastBackup = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tachikoma_backup_last_success_timestamp_seconds",
		Help: "When the last scheduled backup was written (0: none yet)."})
	for _, why := range subscribeRefusals {
		m.refusals.WithLabelValues("subscribe", why)
	}
	m.backups.WithLabelValues("ok")
	m.backups.WithLabelValues("failed")
	m.reg.MustRegister(m.backups, m.lastBackup, logins, in, out, m.refusals, history, m.historyCommit, brokerCollector{b},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// refused counts a refusal at stage ("connect", "publish") for MQTT code's reason.
func (m *promMetrics) refused(stage string, code packets.Code) {
	m.refusals.WithLabelValues(stage, strings.ReplaceAll(code.Reason, " ", "_")).Inc()
}

// login counts the outcome of a credentials check (a busy server checks nothing).
func (m *promMetrics) login(err error) {
	switch {
	case err == nil:
		m.loginsOK.Inc()
	case !errors.Is(err, errBusy):
		m.loginsFailed.Inc()
	}
}

// committed is the store's report of one history commit.
func (m *promMetrics) committed(n int, took time.Duration, err error) {
	if err != nil {
		m.historyFailed.Add(float64(n))
		return
	}
	m.historyWrites.Add(float64(n))
	m.historyCommit.Observe(took.Seconds())
}

// brokerCollector reads, at each scrape, what the broker and mochi already count.
type brokerCollector struct{ b *Broker }

var (
	descConnected  = prometheus.NewDesc("tachikoma_connections", "Clients connected now.", nil, nil)
	descSessions   = prometheus.NewDesc("tachikoma_sessions_disconnected", "Persistent sessions kept for clients that are away.", nil, nil)
	descSubs       = prometheus.NewDesc("tachikoma_subscriptions", "Subscriptions held.", nil, nil)
	descInflight   = prometheus.NewDesc("tachikoma_inflight_messages", "QoS 1/2 messages waiting for a client's acknowledgement.", nil, nil)
	descDropped    = prometheus.NewDesc("tachikoma_messages_dropped_total", "Messages mochi dropped for slow subscribers.", nil, nil)
	descBytes      = prometheus.NewDesc("tachikoma_bytes_total", "Bytes over MQTT, by direction.", []string{"direction"}, nil)
	descUnstored   = prometheus.NewDesc("tachikoma_chat_unstored_total", "QoS 0 chat delivered but not saved to history.", nil, nil)
	descBacklog    = prometheus.NewDesc("tachikoma_history_queue", "Chat messages waiting for their history commit.", nil, nil)
	descSQLiteSize = prometheus.NewDesc("tachikoma_sqlite_bytes", "Size of the SQLite database, by file.", []string{"file"}, nil)
	descPending    = prometheus.NewDesc("tachikoma_connections_pending", "Connections not logged in yet.", nil, nil)
	descQueued     = prometheus.NewDesc("tachikoma_offline_queued_messages", "QoS 1/2 messages held for sessions whose client is away.", nil, nil)
	descQueueMax   = prometheus.NewDesc("tachikoma_offline_queue_longest", "Messages held for the away session with the most (limits.max_queued bounds it).", nil, nil)
)

func (c brokerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnected, descSessions, descSubs, descInflight, descDropped, descBytes,
		descUnstored, descBacklog, descSQLiteSize, descPending, descQueued, descQueueMax} {
		ch <- d
	}
}

func (c brokerCollector) Collect(ch chan<- prometheus.Metric) {
	info := c.b.mqtt.Info.Clone()
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descConnected, info.ClientsConnected)
	gauge(descSessions, info.ClientsDisconnected)
	gauge(descSubs, info.Subscriptions)
	gauge(descInflight, info.Inflight)
	counter(descDropped, info.MessagesDropped)
	counter(descBytes, info.BytesReceived, "in")
	counter(descBytes, info.BytesSent, "out")
	counter(descUnstored, c.b.UnstoredChat())
	gauge(descBacklog, int64(c.b.store.HistoryBacklog()))
	gauge(descPending, int64(c.b.gate.Pending()))
	var queued, longest int
	for _, cl := range c.b.mqtt.Clients.GetAll() {
		if cl.Net.Inline || !cl.Closed() {
			continue
		}
		n := cl.State.Inflight.Len()
		queued += n
		longest = max(longest, n)
	}
	gauge(descQueued, int64(queued))
	gauge(descQueueMax, int64(longest))
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(filepath.Join(c.b.cfg.DataDir, store.FileName+suffix)); err == nil {
			gauge(descSQLiteSize, fi.Size(), store.FileName+suffix)
		}
	}
}

// handler serves the registry in Prometheus' text format.
func (m *promMetrics) handler(b *Broker) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{b}})
}

// slogPrinter sends promhttp's error lines to the broker's log.
type slogPrinter struct{ b *Broker }

func (p slogPrinter) Println(v ...any) { p.b.log.Error("metrics", "error", v) }
