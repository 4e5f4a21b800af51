package hosting

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/petclient/chat/credentials"
	"github.com/tachikoma-pet/tachikoma/topics"
)

const stateFile = "hosting.json"

// savedState is what hosting remembers next to the broker's data: whose
// account is the local one, and the ports friends were told.
type savedState struct {
	User     string `json:"user"`
	MQTTPort int    `json:"mqtt_port"`
	WSPort   int    `json:"ws_port"`
	HTTPPort int    `json:"http_port"`
}

func (h *Host) loadState() error {
	b, err := os.ReadFile(h.stateLoc)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(b, &h.saved)
}

func (h *Host) saveState() error {
	h.mu.Lock()
	b, _ := json.MarshalIndent(h.saved, "", "  ")
	h.mu.Unlock()
	tmp := h.stateLoc + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("hosting: %w", err)
	}
	return os.Rename(tmp, h.stateLoc)
}

// credentialsAccount names the local password in the credentials store:
// per data dir, since the port may change between runs.
func (h *Host) credentialsAccount(user string) string {
	dir, err := filepath.Abs(h.opt.DataDir)
	if err != nil {
		dir = h.opt.DataDir
	}
	return credentials.Account("local:"+dir, user)
}

// SanitizeUsername turns a login name into a valid Tachikoma username
// (^[a-z0-9_]{3,32}$): lower case, other characters become '_', short
// names are padded.
func SanitizeUsername(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
		}
	}
	s := strings.Trim(b.String(), "_")
	if len(s) > 32 {
		s = strings.TrimRight(s[:32], "_")
	}
	switch {
	case s == "":
		s = "pet_owner"
	case len(s) < 3:
		s += "_pet"
	}
	return s
}

func randomPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ensureAccount returns the local account, creating it on first run and
// repairing it when its password was lost (the broker is ours: resetting
// the local user's password is no privilege escalation).
func (h *Host) ensureAccount(ctx context.Context) (Account, error) {
	b := h.Broker()
	dir := b.Directory()
	h.mu.Lock()
	user := h.saved.User
	h.mu.Unlock()
	firstRun := user == ""
	if firstRun {
		login := h.opt.Username
		if login == "" {
			login = os.Getenv("USER")
		}
		base := SanitizeUsername(login)
		user = base
		// A friend may have registered this name here already.
		for i := 2; ; i++ {
			if _, taken := dir.User(user); !taken {
				break
			}
			suffix := "_" + strconv.Itoa(i)
			user = base[:min(len(base), 32-len(suffix))] + suffix
		}
	}
	acct := h.credentialsAccount(user)
	pw, err := h.creds.Load(acct)
	if err != nil && !errors.Is(err, credentials.ErrNotFound) {
		return Account{}, fmt.Errorf("hosting: reading the local password: %w", err)
	}
	u, exists := dir.User(user)
	switch {
	case !exists:
		if pw == "" {
			pw = randomPassword()
		}
		nick := ""
		if login := os.Getenv("USER"); topics.CheckNickname(login) == nil && h.opt.Username == "" {
			nick = login
		}
		if err := b.Register(ctx, user, pw, nick); err != nil {
			return Account{}, fmt.Errorf("hosting: creating the local account %s: %w", user, err)
		}
		h.log.Info("created the local chat account", "user", user)
	case pw == "" || password.Verify(pw, u.PWHash) != nil:
		pw = randomPassword()
		cost := password.Default
		if h.opt.PasswordCost != nil {
			cost = *h.opt.PasswordCost
		}
		hash, err := password.Hash(pw, cost)
		if err != nil {
			return Account{}, err
		}
		if err := dir.Store().SetPassword(ctx, user, hash); err != nil {
			return Account{}, fmt.Errorf("hosting: resetting the local password: %w", err)
		}
		if _, err := dir.Reload(ctx); err != nil {
			return Account{}, err
		}
		h.log.Warn("the local account's password was lost; set a new one", "user", user)
	}
	if err := h.creds.Save(acct, pw); err != nil {
		return Account{}, fmt.Errorf("hosting: keeping the local password: %w", err)
	}
	h.mu.Lock()
	h.saved.User = user
	h.mu.Unlock()
	if err := h.saveState(); err != nil {
		return Account{}, err
	}
	return Account{User: user, Password: pw}, nil
}
