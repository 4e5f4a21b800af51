// Package pgtest runs a throwaway PostgreSQL cluster for tests: initdb in a
// temporary directory, pg_ctl on a free loopback port, one database per
// test, everything removed at the end. A package keeps one Lazy, whose
// Main its TestMain calls, so the server starts at most once per run.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDirs are where Debian installs the server binaries, newest first.
var BinDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"}

// ErrNotInstalled means the server binaries are missing.
var ErrNotInstalled = errors.New("PostgreSQL server not installed (scripts/deps.sh test installs postgresql-15)")

// Server is a running PostgreSQL cluster owned by the test binary.
type Server struct {
	bin  string
	dir  string // data directory and socket directory's parent
	Port int
	// cred runs the server programs as the postgres user when we are root,
	// since initdb and postgres refuse to run as root.
	cred   *syscall.Credential
	proc   *exec.Cmd
	exited chan struct{}
	next   atomic.Int64
}

// Start creates and starts a cluster. Settings are extra "-c" options
// (name=value) on top of the test defaults.
func Start(settings ...string) (*Server, error) {
	bin := ""
	for _, d := range BinDirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			bin = d
			break
		}
	}
	if bin == "" {
		return nil, ErrNotInstalled
	}
	removeLeftovers()
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the postgres user to run the server: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	data := filepath.Join(dir, "data")
	// A linguistic default collation (ICU "en": "Bob" sorts between
	// "alice" and "carol"), as many real databases have: the store must
	// still order and compare names byte for byte.
	if out, err := s.cmd("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// Durability is not under test here; a loaded machine is.
	opts := []string{"fsync=off", "full_page_writes=off", "max_connections=200"}
	opts = append(opts, settings...)
	var lastErr error
	for try := 0; try < 5; try++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if lastErr = s.serve(data, port, opts); lastErr == nil {
			return s, nil
		}
		if !strings.Contains(lastErr.Error(), "in use") {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// ownerFile holds the pid of the process whose cluster a directory is.
const ownerFile = "owner.pid"

// removeLeftovers removes the cluster directories of test processes that
// died without Stop (a -timeout, a panic, kill -9); their servers died with
// them (Pdeathsig). Directories without an owner file count once an hour old.
func removeLeftovers() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "pgtest-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < time.Hour {
				continue
			}
		} else if pid, err := strconv.Atoi(string(b)); err != nil || alive(pid) {
			continue
		}
		endServer(dir)
		os.RemoveAll(dir)
	}
}

// endServer kills the server still running in a dead run's dir: one that
// was paused when its owner died never acts on the signal that death sent.
func endServer(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(line)
	if err != nil || pid <= 1 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), dir) {
		return // gone, or the pid is someone else's now
	}
	for _, child := range children(pid) {
		syscall.Kill(child, syscall.SIGKILL)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// serve runs postgres as our child, not through pg_ctl's daemon, so that
// it dies with the test binary (Pdeathsig) even when a test panics or
// times out; it returns once the server accepts connections.
func (s *Server) serve(data string, port int, opts []string) error {
	args := []string{"-D", data, "-k", s.dir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1"}
	for _, o := range opts {
		args = append(args, "-c", o)
	}
	logf, err := os.Create(filepath.Join(s.dir, "log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	c := s.cmd("postgres", args...)
	c.Stdout, c.Stderr = logf, logf
	c.SysProcAttr.Pdeathsig = syscall.SIGQUIT // immediate shutdown
	if err := c.Start(); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { c.Wait(); close(exited) }()
	s.Port, s.proc, s.exited = port, c, exited
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
			return fmt.Errorf("postgres exited: %s", log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("postgres not ready in 2 minutes: %v", err)
		}
	}
}

func (s *Server) cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(filepath.Join(s.bin, name), args...)
	c.Dir = s.dir
	c.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return c
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is the connection string of database db over loopback TCP.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// CreateDB makes an empty database and returns its URL.
func (s *Server) CreateDB(ctx context.Context, name string) (string, error) {
	c, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// NewDB is CreateDB with a fresh name, for one test.
func (s *Server) NewDB(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url, err := s.CreateDB(ctx, fmt.Sprintf("t%d", s.next.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// Pause freezes the server and every backend (SIGSTOP): a database that
// stops answering without closing its connections.
func (s *Server) Pause() error { return s.signalAll(syscall.SIGSTOP) }

// Resume undoes Pause.
func (s *Server) Resume() error { return s.signalAll(syscall.SIGCONT) }

// signalAll signals the postmaster, then its children one by one: each
// backend is its own process group.
func (s *Server) signalAll(sig syscall.Signal) error {
	pid := s.proc.Process.Pid
	if err := syscall.Kill(pid, sig); err != nil {
		return err
	}
	for _, child := range children(pid) {
		syscall.Kill(child, sig)
	}
	return nil
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ')'.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			out = append(out, child)
		}
	}
	return out
}

// Stop stops the server and removes its files.
func (s *Server) Stop() error {
	s.kill()
	return os.RemoveAll(s.dir)
}

// kill asks for a fast shutdown, then kills if it does not come.
func (s *Server) kill() {
	s.Resume()
	s.proc.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		s.proc.Process.Kill()
		<-s.exited
	}
}

// Lazy starts its server on the first Need, so a package whose tests
// rarely need PostgreSQL pays for it only when they run.
type Lazy struct {
	once sync.Once
	srv  *Server
	err  error
}

// Need returns the server, starting it once, or skips t with the reason
// (fails it under TACHIKOMA_REQUIRE_POSTGRES).
func (l *Lazy) Need(t testing.TB) *Server {
	t.Helper()
	l.once.Do(func() { l.srv, l.err = Start() })
	if l.err != nil {
		if os.Getenv("TACHIKOMA_REQUIRE_POSTGRES") != "" {
			t.Fatalf("PostgreSQL: %v", l.err)
		}
		t.Skipf("no PostgreSQL: %v", l.err)
	}
	return l.srv
}

// Main runs m and stops the server if a test started it.
func (l *Lazy) Main(m *testing.M) int {
	code := m.Run()
	if l.srv != nil {
		if err := l.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}
