package main

import (
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
