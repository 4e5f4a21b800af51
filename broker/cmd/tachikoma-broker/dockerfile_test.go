package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const repoRoot = "../../.."

// dockerfile returns the Dockerfile's instructions, continuation lines
// joined, comments dropped.
func dockerfile(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	cur := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if cur == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		out = append(out, strings.Join(strings.Fields(cur+line), " "))
		cur = ""
	}
	return out
}

// TestDockerfileLint checks what the image must have: the pinned Go for
// the build, a static binary on an empty base, not root, the data volume,
// a health check the image can run, and COPY sources that exist.
func TestDockerfileLint(t *testing.T) {
	ins := dockerfile(t)
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)[1]
	want := []string{
		fmt.Sprintf("FROM golang:%s-bookworm AS build", goVersion),
		"FROM scratch",
		"USER 65532:65532",
		`VOLUME ["/var/lib/tachikoma"]`,
		`ENTRYPOINT ["/usr/local/bin/tachikoma-broker"]`,
	}
	has := func(prefix string) bool {
		for _, l := range ins {
			if strings.HasPrefix(l, prefix) {
				return true
			}
		}
		return false
	}
	for _, w := range want {
		if !has(w) {
			t.Errorf("Dockerfile lacks %q", w)
		}
	}
	if !has("HEALTHCHECK") || !strings.Contains(strings.Join(ins, "\n"), `tachikoma-broker", "health"`) {
		t.Error("Dockerfile has no HEALTHCHECK running tachikoma-broker health (the image has no curl)")
	}
	if !strings.Contains(buildLine(t, ins), "-extldflags -static") {
		t.Error("the binary is not linked statically: FROM scratch has no C library")
	}
	for _, l := range ins {
		f := strings.Fields(l)
		if f[0] != "COPY" || strings.HasPrefix(f[1], "--from") || len(f) < 3 {
			continue
		}
		for _, src := range f[1 : len(f)-1] {
			if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil && src != "." {
				t.Errorf("COPY %s: %v", src, err)
			}
		}
	}
}

// buildLine is the RUN instruction that builds the binary.
func buildLine(t *testing.T, ins []string) string {
	t.Helper()
	for _, l := range ins {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			return strings.TrimPrefix(l, "RUN ")
		}
	}
	t.Fatal("Dockerfile has no RUN ... go build")
	return ""
}

// TestDockerfileBinary builds the binary with the Dockerfile's own command
// and runs it as the image would: a static executable, no environment, not
// root, serving the image's config until its health check passes. (podman
// could build the image itself, but no image registry is reachable here.)
func TestDockerfileBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("a static cgo build")
	}
	out := t.TempDir()
	cmd := strings.ReplaceAll(buildLine(t, dockerfile(t)), "/out/", out+"/")
	cmd = strings.ReplaceAll(cmd, "${VERSION}", "container-test")
	build := exec.Command("sh", "-c", cmd)
	build.Dir = repoRoot
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build: %v\n%s", err, b)
	}
	exe := filepath.Join(out, "tachikoma-broker")
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary needs a dynamic loader; FROM scratch has none")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %v", libs)
	}
	f.Close()

	if v, err := exec.Command(exe, "version").Output(); err != nil || !bytes.Contains(v, []byte("tachikoma-broker container-test")) {
		t.Fatalf("version: %s %v", v, err)
	}

	data := filepath.Join(out, "var/lib/tachikoma")
	httpAddr := freePort(t)
	srv := exec.Command(exe, "serve", "--config", filepath.Join(repoRoot, "configs/container-broker.yaml"), "--data-dir", data,
		"--mqtt-addr", freePort(t), "--ws-addr", freePort(t), "--http-addr", httpAddr)
	srv.Env = []string{} // scratch has no environment but what the image sets
	var log bytes.Buffer
	srv.Stdout, srv.Stderr = &log, &log
	if os.Geteuid() == 0 {
		// The test's directories are root's (0700); the image's user reaches the binary and the volume.
		for _, d := range []string{filepath.Dir(out), out, filepath.Dir(data)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(data, 65532, 65532); err != nil {
			t.Fatal(err)
		}
		srv.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	}()
	var last []byte
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		h := exec.Command(exe, "health", "--url", "http://"+httpAddr+"/readyz")
		h.Env = []string{}
		if last, err = h.CombinedOutput(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health check still failing after a minute: %v %s", err, last)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "tachikoma.db")); err != nil {
		t.Errorf("no database in the data volume: %v", err)
	}
	_ = srv.Process.Kill()
	_ = srv.Wait()
	h := exec.Command(exe, "health", "--url", "http://"+httpAddr+"/readyz")
	if err := h.Run(); err == nil {
		t.Error("health passes with the broker gone")
	}
}
