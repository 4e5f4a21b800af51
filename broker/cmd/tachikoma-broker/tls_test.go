package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
)

// TestSIGHUPReloadsCertificate sends SIGHUP to a serving broker with TLS: it
// reloads the certificate and keeps running.
func TestSIGHUPReloadsCertificate(t *testing.T) {
	cert, key, _ := brokertest.SelfSigned(t)
	cfg := writeFile(t, "tls:\n  cert_file: "+cert+"\n  key_file: "+key+"\n")
	cmd, log, waitLog := serveLogged(t, cfg)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("tls certificate reloaded")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitCmd(t, cmd)
	if !strings.Contains(log.String(), "shutting down") {
		t.Errorf("the broker did not survive SIGHUP to shut down cleanly:\n%s", log.String())
	}
}

// TestSIGHUPReloadsACLFile sends SIGHUP to a broker with an ACL file: a good
// file is reloaded, a broken one is refused naming its line.
func TestSIGHUPReloadsACLFile(t *testing.T) {
	acl := writeFile(t, "topic read sensors/#\n")
	cfg := writeFile(t, "acl_file: "+acl+"\n")
	cmd, _, waitLog := serveLogged(t, cfg)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("acl file reloaded")
	if err := os.WriteFile(acl, []byte("topic read sensors/#\nuser\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("acl file not reloaded")
	waitLog("line 2")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitCmd(t, cmd)
}

// serveLogged starts the broker with config file cfg and waits until it is
// ready; waitLog waits for a line in its log.
func serveLogged(t *testing.T, cfg string) (*exec.Cmd, *syncBuffer, func(string)) {
	t.Helper()
	addr := freePort(t)
	log := &syncBuffer{}
	cmd := exec.Command(bin, "serve", "--config", cfg, "--data-dir", t.TempDir(), "--mqtt-addr", addr, "--ws-addr", "", "--http-addr", "")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitLog := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(log.String(), want); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log:\n%s", want, log.String())
			}
		}
	}
	waitLog("broker ready")
	return cmd, log, waitLog
}
