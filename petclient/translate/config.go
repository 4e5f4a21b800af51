package translate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Providers are the online services, in the order Default tries them.
var Providers = []string{"deepl", "tencent", "baidu", "youdao", "libretranslate"}

// Credentials of one provider. ID is Baidu's appid, Youdao's appKey or
// Tencent's SecretId; Secret the key; URL LibreTranslate's server (or any
// provider's endpoint override).
type Credentials struct {
	ID     string `json:"id,omitempty"`
	Secret string `json:"secret,omitempty"`
	URL    string `json:"url,omitempty"`
	Region string `json:"region,omitempty"`
}

// Over is c, typed in a form that never shows the stored secret and has no
// region, laid over what is stored: an empty secret keeps the stored one.
func (c Credentials) Over(stored Credentials) Credentials {
	if c.Secret == "" {
		c.Secret = stored.Secret
	}
	if c.Region == "" {
		c.Region = stored.Region
	}
	return c
}

// KeyStore keeps secrets per account; credentials.Store is one (the desktop
// keyring, or a 0600 file).
type KeyStore interface {
	Save(account, secret string) error
	Load(account string) (string, error)
	Delete(account string) error
}

// Account is the key store's account name of a provider.
func Account(provider string) string { return "translate/" + provider }

// New makes the named provider from its credentials.
func New(name string, c Credentials) (Translator, error) {
	cm := common{Endpoint: c.URL}
	switch name {
	case "libretranslate":
		return &LibreTranslate{common: cm, Key: c.Secret}, nil
	case "deepl":
		return &DeepL{common: cm, Key: c.Secret}, nil
	case "baidu":
		return &Baidu{common: cm, AppID: c.ID, Key: c.Secret}, nil
	case "youdao":
		return &Youdao{common: cm, AppKey: c.ID, Secret: c.Secret}, nil
	case "tencent":
		return &Tencent{common: cm, SecretID: c.ID, SecretKey: c.Secret, Region: c.Region}, nil
	}
	return nil, fmt.Errorf("translate: unknown provider %q (known: %v)", name, Providers)
}

// Check says what a provider still lacks in c to be used; nil when nothing.
func Check(name string, c Credentials) error {
	need := ""
	switch name {
	case "libretranslate":
		if c.URL == "" {
			need = "its server's URL"
		}
	case "deepl":
		if c.Secret == "" {
			need = "its key"
		}
	case "baidu", "youdao", "tencent":
		if c.ID == "" {
			need = "its id"
		} else if c.Secret == "" {
			need = "its secret key"
		}
	default:
		return fmt.Errorf("translate: unknown provider %q (known: %v)", name, Providers)
	}
	if need != "" {
		return &Error{Provider: name, Kind: ErrNoKey, Detail: "needs " + need}
	}
	return nil
}

// Save stores a provider's credentials.
func Save(ks KeyStore, name string, c Credentials) error {
	if !slices.Contains(Providers, name) {
		return fmt.Errorf("translate: unknown provider %q (known: %v)", name, Providers)
	}
	b, _ := json.Marshal(c)
	return ks.Save(Account(name), string(b))
}

// Load reads a provider's credentials; a provider never configured gives an
// error wrapping ErrNoKey.
func Load(ks KeyStore, name string) (Credentials, error) {
	v, err := ks.Load(Account(name))
	if err != nil {
		return Credentials{}, &Error{Provider: name, Kind: ErrNoKey, Detail: err.Error()}
	}
	var c Credentials
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return Credentials{}, fmt.Errorf("translate: stored credentials of %s are damaged: %w", name, err)
	}
	return c, nil
}

// preferredAccount remembers which provider sentences go to.
const preferredAccount = "translate/preferred"

// SetPreferred makes name the provider Open uses by default.
func SetPreferred(ks KeyStore, name string) error {
	if !slices.Contains(Providers, name) {
		return fmt.Errorf("translate: unknown provider %q (known: %v)", name, Providers)
	}
	return ks.Save(preferredAccount, name)
}

// Preferred is the provider set by SetPreferred, or "".
func Preferred(ks KeyStore) string {
	v, err := ks.Load(preferredAccount)
	if err != nil || !slices.Contains(Providers, v) {
		return ""
	}
	return v
}

// Open makes the named provider from stored credentials, or, with name "",
// the preferred one, else the first provider that has credentials. The
// result is cached.
func Open(ks KeyStore, name string) (Translator, error) {
	names := Providers
	if p := Preferred(ks); name == "" && p != "" {
		names = append([]string{p}, Providers...)
	}
	if name != "" {
		names = []string{name}
	}
	var errs []error
	for _, n := range names {
		c, err := Load(ks, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t, err := New(n, c)
		if err != nil {
			return nil, err
		}
		return Cached(t, 256), nil
	}
	if name == "" {
		return nil, &Error{Provider: "online translation", Kind: ErrNoKey, Detail: "set one with: tachikoma translate --set-key PROVIDER"}
	}
	return nil, errors.Join(errs...)
}

// Lazy opens the key store and the provider (Open) on the first sentence, so
// looking up a word never waits for the keyring.
func Lazy(name string, open func() (KeyStore, error)) Translator {
	return &lazy{name: name, open: open}
}

type lazy struct {
	mu   sync.Mutex
	name string
	open func() (KeyStore, error)
	t    Translator
}

func (l *lazy) Name() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.t != nil {
		return l.t.Name()
	}
	return cmp.Or(l.name, "online")
}

func (l *lazy) Translate(ctx context.Context, text, from, to string) (string, error) {
	l.mu.Lock()
	if l.t == nil {
		ks, err := l.open()
		if err == nil {
			l.t, err = Open(ks, l.name)
		}
		if err != nil {
			l.mu.Unlock()
			return "", err // tried again next time: a key may have been added
		}
	}
	t := l.t
	l.mu.Unlock()
	return t.Translate(ctx, text, from, to)
}
