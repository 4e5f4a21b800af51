// Package credentials remembers chat passwords and tokens ("remember me"):
// in the desktop keyring (Secret Service) when one answers, otherwise in a
// file readable only by the user ($XDG_CONFIG_HOME/tachikoma/credentials.json,
// mode 0600) — never in the settings file, which people share and back up.
//
// Keyring calls may wait for the user to unlock the keyring: call Save,
// Load and Delete from a goroutine, not from the GTK main loop.
package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// Service is the keyring service name of Tachikoma's entries.
const Service = "tachikoma"

// FileName is the fallback file inside the config dir.
const FileName = "credentials.json"

// ErrNotFound: nothing stored for that account.
var ErrNotFound = errors.New("no saved credentials")

// Keyring is a secret store keyed by service and account. Get returns
// ErrNotFound for a missing entry.
type Keyring interface {
	Get(service, account string) (string, error)
	Set(service, account, secret string) error
	Delete(service, account string) error
}

// Options configure Open. Zero values are the defaults.
type Options struct {
	// Dir holds the fallback file; default $XDG_CONFIG_HOME/tachikoma
	// (~/.config/tachikoma).
	Dir string
	// Keyring replaces the Secret Service (tests, other desktops).
	Keyring Keyring
	// NoKeyring forces the file (e.g. a user setting).
	NoKeyring bool
	// ProbeTimeout bounds the check for a Secret Service (default 2 s).
	ProbeTimeout time.Duration
	// OpTimeout bounds one keyring call, including an unlock prompt
	// (default 20 s); past it the file is used instead.
	OpTimeout time.Duration
	Logger    *slog.Logger
}

// Store saves secrets per account (see Account).
type Store struct {
	dir     string
	timeout time.Duration
	log     *slog.Logger

	mu sync.Mutex
	kr Keyring // nil: file only
}

// Account names an entry: one per user and server.
func Account(server, user string) string { return user + "@" + server }

// ConfigDir is $XDG_CONFIG_HOME/tachikoma, or ~/.config/tachikoma.
func ConfigDir() (string, error) {
	d, err := xdgdir.Config.Path()
	if err != nil {
		return "", fmt.Errorf("credentials: cannot find the config folder: %w", err)
	}
	return d, nil
}

// Open picks the keyring when one answers within the probe timeout, the
// file otherwise. It never fails for want of a keyring.
func Open(opt Options) (*Store, error) {
	if opt.Dir == "" {
		d, err := ConfigDir()
		if err != nil {
			return nil, err
		}
		opt.Dir = d
	}
	if opt.ProbeTimeout <= 0 {
		opt.ProbeTimeout = 2 * time.Second
	}
	if opt.OpTimeout <= 0 {
		opt.OpTimeout = 20 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Store{dir: opt.Dir, timeout: opt.OpTimeout, log: opt.Logger}
	switch {
	case opt.NoKeyring:
	case opt.Keyring != nil:
		s.kr = opt.Keyring
	default:
		if err := probeSecretService(opt.ProbeTimeout); err != nil {
			s.log.Info("no desktop keyring; passwords go to a private file", "reason", err, "file", s.path())
		} else {
			s.kr = secretService{}
		}
	}
	return s, nil
}

// Backend is "keyring" or "file" (for the settings dialog).
func (s *Store) Backend() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kr != nil {
		return "keyring"
	}
	return "file"
}

func (s *Store) keyring() Keyring {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kr
}

// dropKeyring stops using a keyring that failed or hung: later calls go to
// the file at once instead of waiting again.
func (s *Store) dropKeyring(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kr != nil {
		s.log.Warn("keyring failed; using the private file from now on", "error", err)
		s.kr = nil
	}
}

var errTimeout = errors.New("keyring did not answer in time")

// withTimeout runs f on its own goroutine so that a hung D-Bus call cannot
// hang the caller (the goroutine is abandoned; it ends when D-Bus does).
func (s *Store) withTimeout(f func() (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		return "", errTimeout
	}
}

// Save remembers secret for account.
func (s *Store) Save(account, secret string) error {
	if kr := s.keyring(); kr != nil {
		_, err := s.withTimeout(func() (string, error) { return "", kr.Set(Service, account, secret) })
		if err == nil {
			// A copy left in the file from a keyring-less day must go.
			return s.fileDelete(account)
		}
		s.dropKeyring(err)
	}
	return s.fileUpdate(func(m map[string]string) { m[account] = secret })
}

// Load returns the secret saved for account, or ErrNotFound.
func (s *Store) Load(account string) (string, error) {
	if kr := s.keyring(); kr != nil {
		v, err := s.withTimeout(func() (string, error) { return kr.Get(Service, account) })
		switch {
		case err == nil:
			return v, nil
		case isNotFound(err):
			// Perhaps saved while the keyring was unavailable.
		default:
			s.dropKeyring(err)
		}
	}
	m, err := s.fileRead()
	if err != nil {
		return "", err
	}
	v, ok := m[account]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Delete forgets account everywhere ("forget me", logout).
func (s *Store) Delete(account string) error {
	var kerr error
	if kr := s.keyring(); kr != nil {
		_, err := s.withTimeout(func() (string, error) { return "", kr.Delete(Service, account) })
		if err != nil && !isNotFound(err) {
			kerr = err
			s.dropKeyring(err)
		}
	}
	return errors.Join(kerr, s.fileDelete(account))
}

func (s *Store) path() string { return filepath.Join(s.dir, FileName) }

type fileData struct {
	Version int               `json:"version"`
	Secrets map[string]string `json:"secrets"`
}

func (s *Store) fileRead() (map[string]string, error) {
	p := s.path()
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		// Someone widened it (a copy, a backup restore): close it again.
		s.log.Warn("credentials file was readable by others; restricting it", "file", p, "mode", fi.Mode().Perm())
		if err := os.Chmod(p, 0o600); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var d fileData
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", p, err)
	}
	if d.Secrets == nil {
		d.Secrets = map[string]string{}
	}
	return d.Secrets, nil
}

var fileMu sync.Mutex // one writer per process

func (s *Store) fileUpdate(f func(map[string]string)) error {
	fileMu.Lock()
	defer fileMu.Unlock()
	m, err := s.fileRead()
	if err != nil {
		return err
	}
	f(m)
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(fileData{Version: 1, Secrets: m}, "", "  ")
	// CreateTemp makes the file 0600 from the start: the secret is never
	// readable by others, not even between write and chmod.
	tmp, err := os.CreateTemp(s.dir, FileName+".tmp*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), s.path())
}

func (s *Store) fileDelete(account string) error {
	m, err := s.fileRead()
	if err != nil {
		return err
	}
	if _, ok := m[account]; !ok {
		return nil
	}
	return s.fileUpdate(func(m map[string]string) { delete(m, account) })
}
