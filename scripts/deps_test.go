package scripts_test

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMakeBuildWithoutGo runs `make build` as on a bare Debian 12: no Go on
// PATH, so scripts/deps.sh must install Debian's Go and fetch the pinned
// toolchain (cheap once it is cached in $XDG_CACHE_HOME).
func TestMakeBuildWithoutGo(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	want := goModVersion(t, filepath.Join(root, "go.mod"))

	var kept, hidden []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil && dir != "/usr/bin" && dir != "/bin" {
			hidden = append(hidden, dir)
			continue
		}
		kept = append(kept, dir)
	}
	env := []string{"PATH=" + strings.Join(kept, string(os.PathListSeparator))}
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "PATH", "GO", "GOROOT", "GOTOOLCHAIN", "MAKEFLAGS", "MFLAGS", "MAKELEVEL":
		default:
			env = append(env, kv)
		}
	}
	for _, dir := range kept {
		gocmd := filepath.Join(dir, "go")
		if _, err := os.Stat(gocmd); err != nil {
			continue
		}
		if out, err := command(t, env, root, gocmd, "env", "GOVERSION").Output(); err == nil &&
			strings.TrimSpace(string(out)) >= "go1.26" {
			t.Fatalf("a suitable go is left on PATH after hiding %v: %s", hidden, out)
		}
	}

	bin := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	make := exec.CommandContext(ctx, "make", "--no-print-directory", "build", "BIN="+bin)
	make.Dir, make.Env = root, env
	if out, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make build with PATH=%s: %v\n%s", kept, err, out)
	}

	gopath, err := command(t, env, root, "scripts/deps.sh", "go").Output()
	if err != nil {
		t.Fatalf("scripts/deps.sh go: %v", err)
	}
	for _, dir := range hidden {
		if filepath.Dir(strings.TrimSpace(string(gopath))) == dir {
			t.Fatalf("deps.sh chose the hidden %s", gopath)
		}
	}
	for _, name := range []string{"tachikoma", "tachikoma-broker"} {
		info, err := buildinfo.ReadFile(filepath.Join(bin, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.GoVersion != "go"+want {
			t.Errorf("%s built with %s, want go%s", name, info.GoVersion, want)
		}
	}
}

func command(t *testing.T, env []string, dir, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	return cmd
}

// goModVersion returns the go line of go.mod ("1.26.8").
func goModVersion(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s has no go line", path)
	return ""
}
