// Package dbustest starts private session buses for the pet's tests.
package dbustest

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Start runs a private `dbus-daemon --session` and returns its address; it
// stops when the test ends. The test is skipped when dbus-daemon is not
// installed (scripts/deps.sh test installs it).
func Start(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not installed (scripts/deps.sh test)")
	}
	cmd := exec.Command(path, "--session", "--nofork", "--nopidfile", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// Don't outlive a test binary that panics.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case addr := <-got:
		if addr == "" {
			t.Fatal("dbus-daemon exited without printing its address")
		}
		return addr
	case <-time.After(20 * time.Second):
		t.Fatal(fmt.Errorf("dbus-daemon printed no address within 20s"))
	}
	return ""
}

// Connect opens a connection to the bus at addr, closed when the test ends.
func Connect(t testing.TB, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Context is a generous deadline for one call, cancelled when the test ends.
func Context(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}
