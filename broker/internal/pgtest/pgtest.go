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
	// run prefixes server commands: runuser as postgres when we are root,
	// since initdb and postgres refuse to run as root.
	run  []string
	next atomic.Int64
}

// Start creates and starts a cluster. Settings are extra "-c" options
// (name=value) on top of the test defaults.
func Start(settings ...string) (*Server, error) {
	bin := ""
	for _, d := range BinDirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			bin = d
			break
		}
	}
	if bin == "" {
		return nil, ErrNotInstalled
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
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
		s.run = []string{"runuser", "-u", "postgres", "--"}
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
			return nil, err
		}
		o := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1", dir, port)
		for _, c := range opts {
			o += " -c " + c
		}
		out, err := s.cmd("pg_ctl", "start", "-w", "-t", "120", "-D", data, "-l", filepath.Join(dir, "log"), "-o", o).CombinedOutput()
		if err == nil {
			s.Port = port
			return s, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		lastErr = fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
		if !strings.Contains(string(log), "in use") {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func (s *Server) cmd(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, s.run...), filepath.Join(s.bin, name)), args...)
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = s.dir
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

// Stop stops the server and removes its files.
func (s *Server) Stop() error {
	out, err := s.cmd("pg_ctl", "stop", "-w", "-m", "immediate", "-D", filepath.Join(s.dir, "data")).CombinedOutput()
	if err != nil {
		err = fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return errors.Join(err, os.RemoveAll(s.dir))
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
