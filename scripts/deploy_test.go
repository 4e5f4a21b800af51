package scripts_test

import (
	"archive/tar"
	"compress/gzip"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// installBroker runs scripts/install-broker.sh from a copy laid out like a
// make dist archive (binary, unit, config beside the script).
func installBroker(t *testing.T, pkg string, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(pkg, "install-broker.sh"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("install-broker.sh %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

// TestInstallBrokerScript installs into a throwaway root: files and modes,
// the user and systemctl commands it would run, idempotence (a second run
// changes nothing and keeps an edited config), an upgrade, and --dry-run.
func TestInstallBrokerScript(t *testing.T) {
	pkg := t.TempDir()
	copyFile(t, "install-broker.sh", filepath.Join(pkg, "install-broker.sh"), 0o755)
	copyFile(t, "../configs/tachikoma-broker.service", filepath.Join(pkg, "tachikoma-broker.service"), 0o644)
	copyFile(t, "../configs/broker.yaml", filepath.Join(pkg, "broker.yaml"), 0o644)
	os.WriteFile(filepath.Join(pkg, "tachikoma-broker"), []byte("#!/bin/sh\necho v1\n"), 0o755)
	root := t.TempDir()

	out := installBroker(t, pkg, "--root", root)
	for _, want := range []string{
		"+ useradd --system --user-group --home-dir /var/lib/tachikoma-broker",
		"install /usr/local/bin/tachikoma-broker", "install /etc/systemd/system/tachikoma-broker.service",
		"install /etc/tachikoma/broker.yaml", "+ systemctl daemon-reload",
		"+ systemctl enable tachikoma-broker.service", "+ systemctl restart tachikoma-broker.service",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first install: no %q in\n%s", want, out)
		}
	}
	for path, mode := range map[string]os.FileMode{"usr/local/bin/tachikoma-broker": 0o755,
		"etc/systemd/system/tachikoma-broker.service": 0o644, "etc/tachikoma/broker.yaml": 0o640} {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v, mode %v, want %v", path, err, fi.Mode().Perm(), mode)
		}
	}

	conf := filepath.Join(root, "etc/tachikoma/broker.yaml")
	os.WriteFile(conf, []byte("mqtt_addr: 0.0.0.0:1883 # mine\n"), 0o640)
	out = installBroker(t, pkg, "--root", root)
	for _, want := range []string{"unchanged /usr/local/bin/tachikoma-broker", "unchanged /etc/systemd/system/tachikoma-broker.service",
		"keep /etc/tachikoma/broker.yaml", "+ systemctl start tachikoma-broker.service"} {
		if !strings.Contains(out, want) {
			t.Errorf("second install: no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "restart") {
		t.Errorf("second install restarts an unchanged service:\n%s", out)
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "# mine") {
		t.Errorf("the operator's config was replaced: %q", b)
	}

	os.WriteFile(filepath.Join(pkg, "tachikoma-broker"), []byte("#!/bin/sh\necho v2\n"), 0o755)
	out = installBroker(t, pkg, "--root", root, "--no-start")
	if !strings.Contains(out, "install /usr/local/bin/tachikoma-broker") || strings.Contains(out, "systemctl restart") {
		t.Errorf("upgrade with --no-start:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "usr/local/bin/tachikoma-broker")); !strings.Contains(string(b), "v2") {
		t.Errorf("upgrade did not replace the binary")
	}

	dry := t.TempDir()
	out = installBroker(t, pkg, "--root", dry, "--dry-run")
	if entries, _ := os.ReadDir(dry); len(entries) != 0 || !strings.Contains(out, "+ install -D -m 0755") {
		t.Errorf("--dry-run wrote %d entries; output:\n%s", len(entries), out)
	}
}

// TestBrokerUnit checks the hardening the unit promises and has
// systemd-analyze verify it (with ExecStart pointing at an existing file).
func TestBrokerUnit(t *testing.T) {
	b, err := os.ReadFile("../configs/tachikoma-broker.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"\nUser=tachikoma\n", "\nStateDirectory=tachikoma-broker\n", "\nProtectSystem=strict\n",
		"\nNoNewPrivileges=yes\n", "\nRestart=on-failure\n", "\nCapabilityBoundingSet=\n", "\nProtectHome=yes\n",
		"\nExecStart=/usr/local/bin/tachikoma-broker serve --config /etc/tachikoma/broker.yaml --data-dir /var/lib/tachikoma-broker"} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not found: install Debian's systemd (scripts/deps.sh dist)")
	}
	path := filepath.Join(t.TempDir(), "tachikoma-broker.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/tachikoma-broker", "/bin/true")), 0o644)
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// systemd's own rating of the sandbox: 0 is fully locked down, 10 not at all.
	out, err := exec.Command(analyze, "security", "--offline=yes", path).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2 {
		t.Errorf("exposure level %.1f, want at most 2 (OK):\n%s", level, out)
	}
}

// TestDist builds the release archives for amd64 and arm64 (cgo SQLite, with
// Debian's cross compiler) and checks their contents and binaries.
func TestDist(t *testing.T) {
	if _, err := exec.LookPath("aarch64-linux-gnu-gcc"); err != nil {
		t.Fatal("aarch64-linux-gnu-gcc not found: scripts/deps.sh dist installs gcc-aarch64-linux-gnu")
	}
	dir := t.TempDir()
	cmd := exec.Command("./dist.sh", "9.8.7-test", "amd64", "arm64")
	cmd.Env = append(os.Environ(), "DIST_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dist.sh: %v\n%s", err, out)
	}
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		name := "tachikoma-broker_9.8.7-test_linux_" + arch
		files := untar(t, filepath.Join(dir, name+".tar.gz"), filepath.Join(dir, arch))
		want := []string{name + "/", name + "/README.md", name + "/broker.yaml", name + "/install-broker.sh",
			name + "/tachikoma-broker", name + "/tachikoma-broker.service"}
		if strings.Join(files, " ") != strings.Join(want, " ") {
			t.Errorf("%s holds %v, want %v", arch, files, want)
		}
		bin := filepath.Join(dir, arch, name, "tachikoma-broker")
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if f.Machine != machine {
			t.Errorf("%s binary is for %v", arch, f.Machine)
		}
		f.Close()
		if arch == "amd64" {
			out, err := exec.Command(bin, "version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "tachikoma-broker 9.8.7-test (commit ") {
				t.Errorf("version: %v %q", err, out)
			}
		}
	}
}

// untar extracts an archive into dir and returns its entry names in order.
func untar(t *testing.T, archive, dir string) []string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d, want root", h.Name, h.Uid, h.Gid)
		}
		target := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(target, 0o755)
			continue
		}
		b, _ := io.ReadAll(tr)
		os.WriteFile(target, b, os.FileMode(h.Mode))
	}
}
