package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The invite and account commands work on a running server's database.
func TestInviteAndApprovalCLI(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--uses 0", []string{"invite", "create", "--uses", "0", "--data-dir", dir}},
		{"--expires", []string{"invite", "create", "--expires", "3x", "--data-dir", dir}},
		{"no such file", []string{"invite", "list", "--data-dir", dir + "/missing"}},
		// A mistyped data dir gets no fresh database whose codes the
		// running broker would never see.
		{"no such file", []string{"invite", "create", "--data-dir", dir + "/missing"}},
	} {
		if out, err := run(t, "", c.args...); err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%v: err=%v out=%q, want an error containing %q", c.args, err, out, c.want)
		}
	}

	mqttAddr, httpAddr := freePort(t), freePort(t)
	cfg := writeFile(t, "registration:\n  mode: invite\n  approval: true\n")
	srv := exec.Command(bin, "serve", "--config", cfg, "--data-dir", dir, "--mqtt-addr", mqttAddr, "--ws-addr", "", "--http-addr", httpAddr)
	var log strings.Builder
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", httpAddr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTP listener:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	code := strings.TrimSpace(mustRun(t, "", "invite", "create", "--uses", "2", "--expires", "7d", "--data-dir", dir))
	if !regexp.MustCompile(`^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$`).MatchString(code) {
		t.Fatalf("invite create printed %q", code)
	}
	register := func(name, invite string) (int, string) {
		t.Helper()
		body := `{"username":"` + name + `","password":"` + name + `-secret1","invite":"` + invite + `"}`
		resp, err := http.Post("http://"+httpAddr+"/api/v1/register", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a struct{ Reason string }
		json.NewDecoder(resp.Body).Decode(&a)
		return resp.StatusCode, a.Reason
	}
	for _, name := range []string{"ann", "bob"} {
		if st, reason := register(name, code); st != http.StatusAccepted {
			t.Fatalf("register %s: %d %s", name, st, reason)
		}
	}
	if st, reason := register("cat", code); st != http.StatusForbidden || reason != "invite_used_up" {
		t.Fatalf("third registration with a 2-use code: %d %s", st, reason)
	}
	if out := mustRun(t, "", "invite", "list", "--data-dir", dir); !strings.Contains(out, code) || !strings.Contains(out, "2/2") || !strings.Contains(out, "used up") {
		t.Fatalf("invite list:\n%s", out)
	}
	if out := mustRun(t, "", "account", "pending", "--data-dir", dir); !strings.Contains(out, "ann") || !strings.Contains(out, "bob") || !strings.Contains(out, code) {
		t.Fatalf("account pending:\n%s", out)
	}
	if pahoConnect(mqttAddr, "ann", "ann-secret1") == nil {
		t.Fatal("a pending account logged in")
	}
	mustRun(t, "", "account", "approve", "ann", "--data-dir", dir)
	mustRun(t, "", "account", "reject", "bob", "--data-dir", dir)
	if out, err := run(t, "", "account", "approve", "bob", "--data-dir", dir); err == nil || !strings.Contains(out, "not found") {
		t.Fatalf("approve a rejected account: %v %s", err, out)
	}
	deadline = time.Now().Add(10 * time.Second)
	for pahoConnect(mqttAddr, "ann", "ann-secret1") != nil {
		if time.Now().After(deadline) {
			t.Fatal("approved account cannot log in")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out := mustRun(t, "", "account", "pending", "--data-dir", dir); strings.Contains(out, "bob") || strings.Contains(out, "ann") {
		t.Fatalf("account pending after the decisions:\n%s", out)
	}
	// bob's rejection gave the code its use back.
	if out := mustRun(t, "", "invite", "list", "--data-dir", dir); !strings.Contains(out, "1/2") {
		t.Fatalf("invite list after a rejection:\n%s", out)
	}
	if st, reason := register("cat", code); st != http.StatusAccepted {
		t.Fatalf("register with the use given back: %d %s", st, reason)
	}
	if out, err := run(t, "", "account", "reject", "--data-dir", dir); err == nil || !strings.Contains(out, "--all-pending") {
		t.Fatalf("reject without names: %v %s", err, out)
	}
	if out := mustRun(t, "", "account", "reject", "--all-pending", "--data-dir", dir); !strings.Contains(out, "account cat rejected") {
		t.Fatalf("reject --all-pending:\n%s", out)
	}
	if out := mustRun(t, "", "account", "pending", "--data-dir", dir); strings.Contains(out, "cat") {
		t.Fatalf("account pending after --all-pending:\n%s", out)
	}

	spare := strings.TrimSpace(mustRun(t, "", "invite", "create", "--expires", "never", "--data-dir", dir))
	mustRun(t, "", "invite", "revoke", strings.ToLower(spare), "--data-dir", dir)
	if st, reason := register("dan", spare); st != http.StatusForbidden || reason != "invite_unknown" {
		t.Fatalf("revoked code: %d %s", st, reason)
	}
	if out, err := run(t, "", "invite", "revoke", spare, "--data-dir", dir); err == nil || !strings.Contains(out, "not found") {
		t.Fatalf("revoke twice: %v %s", err, out)
	}
}
