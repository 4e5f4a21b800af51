package broker_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape reads /metrics into "name{labels}" -> value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	code, body := getBody(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestHealthReadyMetrics(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, testConfig(dir))
	base := "http://" + b.HTTPAddr()
	register(t, b, "alice", "bob")

	if code, body := getBody(t, base+"/healthz"); code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
	code, body := getBody(t, base+"/readyz")
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != 200 || ready.Status != "ready" ||
		ready.Checks["listeners"] != "ok" || ready.Checks["database"] != "ok" {
		t.Errorf("/readyz: %d %s (%v)", code, body, err)
	}

	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	bob.sub(topics.Room(topics.Lobby))
	alice.pub(topics.Room(topics.Lobby), 1, `{"text":"你好，指标"}`)
	bob.expectChat(topics.Room(topics.Lobby))
	alice.pub(topics.DM("bob", "alice"), 0, `{"text":"not friends"}`) // refused: not authorised
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "wrong-password", "bad-login"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	// At least these (paho tries a refused login twice: MQTT 3.1.1, then 3.1).
	want := map[string]float64{
		`tachikoma_logins_total{result="ok"}`:                                         2,
		`tachikoma_logins_total{result="failed"}`:                                     1,
		`tachikoma_refusals_total{reason="bad_username_or_password",stage="connect"}`: 1,
		`tachikoma_refusals_total{reason="not_authorized",stage="publish"}`:           1,
		`tachikoma_messages_in_total{kind="room"}`:                                    1,
		`tachikoma_messages_in_total{kind="dm"}`:                                      1,
		`tachikoma_messages_out_total{kind="room"}`:                                   1,
		`tachikoma_history_writes_total{result="ok"}`:                                 1,
		`tachikoma_history_commit_seconds_count`:                                      1,
		`tachikoma_connections`:                                                       2,
	}
	var got map[string]float64
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got = scrape(t, base)
		missing := ""
		for k, v := range want {
			if got[k] < v || k == "tachikoma_connections" && got[k] != v {
				missing += k + "=" + strconv.FormatFloat(got[k], 'g', -1, 64) + " "
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics not as expected: %s", missing)
		}
	}
	if got[`tachikoma_sqlite_bytes{file="tachikoma.db"}`] <= 0 || got[`tachikoma_history_commit_seconds_sum`] <= 0 {
		t.Errorf("sqlite size %v, commit time %v: want both > 0", got[`tachikoma_sqlite_bytes{file="tachikoma.db"}`], got[`tachikoma_history_commit_seconds_sum`])
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Errorf("no Go runtime metrics")
	}

	// Another process holding the write lock makes the database unwritable.
	conn := holdDatabase(t, dir)
	code, body = getBody(t, base+"/readyz")
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != 503 || ready.Status != "not ready" ||
		ready.Checks["listeners"] != "ok" || !strings.Contains(ready.Checks["database"], "write probe") {
		t.Errorf("/readyz with the database locked: %d %s", code, body)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	// Ready again once the probe that waited gets through.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := getBody(t, base+"/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after the lock: %d %s", code, body)
		}
	}
}

// TestMetricsAllow: /metrics answers only the addresses in metrics_allow.
func TestMetricsAllow(t *testing.T) {
	for allow, want := range map[string]int{"127.0.0.1": 200, "10.0.0.0/8 192.168.1.7": 403, "": 403, "::1 127.0.0.0/8": 200} {
		cfg := testConfig(t.TempDir())
		cfg.MetricsAllow = allow
		b := startBroker(t, cfg)
		code, body := getBody(t, "http://"+b.HTTPAddr()+"/metrics")
		if code != want || want == 403 && !strings.Contains(body, "metrics_allow") || want == 200 && !strings.Contains(body, "tachikoma_connections") {
			t.Errorf("metrics_allow %q: %d %.200s", allow, code, body)
		}
		b.Close()
	}
	cfg := testConfig(t.TempDir())
	cfg.MetricsAllow = "127.0.0.1 prometheus.lan"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"prometheus.lan" is neither an address nor a network`) {
		t.Errorf("a host name in metrics_allow: %v", err)
	}
}

// Readiness checks that arrive together (a supervisor and an uptime
// monitor) share the write probe in flight; each used to be answered "not
// ready" while another one's probe waited for the database, so anyone
// polling /readyz could make the broker look down to its monitors.
func TestConcurrentReadyChecksShareTheProbe(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, testConfig(dir))
	conn := holdDatabase(t, dir) // for a moment, as a big commit does
	const n = 8
	answers := make(chan string, n)
	for range n {
		go func() {
			resp, err := http.Get("http://" + b.HTTPAddr() + "/readyz")
			if err != nil {
				answers <- err.Error()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			answers <- strconv.Itoa(resp.StatusCode) + " " + string(body)
		}()
	}
	var got []string
	select { // none should come back while the writer holds on
	case a := <-answers:
		got = append(got, a)
	case <-time.After(500 * time.Millisecond):
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	for len(got) < n {
		got = append(got, <-answers)
	}
	for _, a := range got {
		if !strings.HasPrefix(a, "200 ") {
			t.Errorf("a readiness check beside others: %s", a)
		}
	}
}

// holdDatabase takes the write lock of the database in dir from another
// connection, as another process would, until the caller ends the
// transaction on the connection it returns.
func holdDatabase(t *testing.T, dir string) *sql.Conn {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, store.FileName)+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	return conn
}
