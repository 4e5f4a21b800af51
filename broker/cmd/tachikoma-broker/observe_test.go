package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestJSONLogsAndMetrics runs serve with --log-format json: every line on
// stderr is a JSON object, the ready line names the HTTP address, and that
// address serves /metrics.
func TestJSONLogsAndMetrics(t *testing.T) {
	cmd := exec.Command(bin, "serve", "--data-dir", t.TempDir(), "--log-format", "json", "--mqtt-addr", freePort(t),
		"--ws-addr", "", "--http-addr", freePort(t))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var ready map[string]any
	for ready == nil {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("serve exited before it was ready")
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %q: %v", line, err)
			}
			if rec["msg"] == "broker ready" {
				ready = rec
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no ready line in 30 s")
		}
	}
	if ready["level"] != "INFO" || ready["http"] == "" {
		t.Fatalf("ready line %v", ready)
	}
	resp, err := http.Get("http://" + ready["http"].(string) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "\ntachikoma_connections 0\n") {
		t.Errorf("/metrics: %d\n%.2000s", resp.StatusCode, body)
	}
	out, err := run(t, "", "serve", "--data-dir", t.TempDir(), "--log-format", "xml")
	if err == nil || !strings.Contains(out, `--log-format "xml": want text or json`) {
		t.Errorf("--log-format xml: %v %q", err, out)
	}
}
