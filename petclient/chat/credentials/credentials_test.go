package credentials

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir/xdgdirtest"
)

func TestFileFallbackIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tachikoma")
	s, err := Open(Options{Dir: dir, NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != "file" {
		t.Fatalf("backend %s", s.Backend())
	}
	acct := Account("mqtt://chat.example:1883", "alice")
	if _, err := s.Load(acct); !errors.Is(err, ErrNotFound) {
		t.Fatalf("load before save: %v", err)
	}
	if err := s.Save(acct, "s3cret-pässword"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(Account("other", "bob"), "bob-pw"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(acct)
	if err != nil || got != "s3cret-pässword" {
		t.Fatalf("load = %q, %v", got, err)
	}
	fi, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("config dir mode %v, want 0700", di.Mode().Perm())
	}
	// No temp file is left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("dir holds %d entries, want only %s", len(entries), FileName)
	}

	// A widened file is narrowed again on the next read.
	os.Chmod(filepath.Join(dir, FileName), 0o644)
	if _, err := s.Load(acct); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(filepath.Join(dir, FileName))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("widened file left at %v", fi.Mode().Perm())
	}

	if err := s.Delete(acct); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(acct); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if v, _ := s.Load(Account("other", "bob")); v != "bob-pw" {
		t.Fatalf("delete took bob's entry too: %q", v)
	}
}

func TestConfigDir(t *testing.T) {
	xdgdirtest.Check(t, xdgdir.Config, ConfigDir, "tachikoma", "credentials: ")
}

func TestDefaultDirFollowsXDG(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	s, err := Open(Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save("a", "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg, "tachikoma", FileName)); err != nil {
		t.Fatalf("file not in $XDG_CONFIG_HOME/tachikoma: %v", err)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "")
	if _, err := Open(Options{NoKeyring: true}); !errors.Is(err, xdgdir.ErrNoHome) || !strings.HasPrefix(err.Error(), "credentials: ") {
		t.Fatalf("no home: %v", err)
	}
}

// fakeKeyring is an in-memory keyring; hang makes every call block.
type fakeKeyring struct {
	mu   sync.Mutex
	m    map[string]string
	hang chan struct{}
}

func (k *fakeKeyring) wait() {
	if k.hang != nil {
		<-k.hang
	}
}

func (k *fakeKeyring) Get(svc, acct string) (string, error) {
	k.wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[svc+"/"+acct]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (k *fakeKeyring) Set(svc, acct, secret string) error {
	k.wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[svc+"/"+acct] = secret
	return nil
}

func (k *fakeKeyring) Delete(svc, acct string) error {
	k.wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, svc+"/"+acct)
	return nil
}

func TestKeyringIsPreferredAndNothingLeaksToTheFile(t *testing.T) {
	dir := t.TempDir()
	// A secret saved while no keyring was around...
	fileOnly, _ := Open(Options{Dir: dir, NoKeyring: true})
	fileOnly.Save("alice@srv", "old-pw")

	kr := &fakeKeyring{m: map[string]string{}}
	s, _ := Open(Options{Dir: dir, Keyring: kr})
	if s.Backend() != "keyring" {
		t.Fatalf("backend %s", s.Backend())
	}
	// ...is still found,
	if v, err := s.Load("alice@srv"); err != nil || v != "old-pw" {
		t.Fatalf("file entry not found through keyring store: %q %v", v, err)
	}
	// and saving moves it into the keyring, out of the file.
	if err := s.Save("alice@srv", "new-pw"); err != nil {
		t.Fatal(err)
	}
	if kr.m[Service+"/alice@srv"] != "new-pw" {
		t.Fatalf("keyring holds %v", kr.m)
	}
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if strings.Contains(string(b), "pw") {
		t.Fatalf("password left in the file: %s", b)
	}
	if v, _ := s.Load("alice@srv"); v != "new-pw" {
		t.Fatalf("load %q", v)
	}
}

func TestHungKeyringFallsBackQuickly(t *testing.T) {
	dir := t.TempDir()
	kr := &fakeKeyring{m: map[string]string{}, hang: make(chan struct{})}
	defer close(kr.hang)
	s, _ := Open(Options{Dir: dir, Keyring: kr, OpTimeout: 100 * time.Millisecond})
	start := time.Now()
	if err := s.Save("alice@srv", "pw-123456"); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("save took %v", el)
	}
	if s.Backend() != "file" {
		t.Fatal("hung keyring still in use")
	}
	if v, err := s.Load("alice@srv"); err != nil || v != "pw-123456" {
		t.Fatalf("load %q %v", v, err)
	}
}

func TestProbeWithoutSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	start := time.Now()
	if err := probeSecretService(time.Second); err == nil {
		t.Fatal("probe found a secret service on a missing bus")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("probe took %v", el)
	}
	s, err := Open(Options{Dir: t.TempDir(), ProbeTimeout: time.Second})
	if err != nil || s.Backend() != "file" {
		t.Fatalf("Open without a bus: %v, backend %s", err, s.Backend())
	}
}
