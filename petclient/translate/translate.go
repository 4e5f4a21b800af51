// Package translate turns English sentences into Chinese through online
// services (LibreTranslate, DeepL, Baidu Fanyi, Youdao, Tencent TMT) behind
// one Translator interface, with per-provider signing, an LRU cache, 8 s
// timeouts and errors a person can act on. It has no toolkit; keys come
// from the chat login's credential store (keyring or a 0600 file).
package translate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Timeout bounds one request to a provider.
const Timeout = 8 * time.Second

// MaxText bounds what is sent (bytes); longer selections are cut at a rune
// boundary so nobody pays for a megabyte pasted by accident.
const MaxText = 4000

// Translator translates text between languages ("en", "zh").
type Translator interface {
	// Name is the provider's id ("deepl").
	Name() string
	Translate(ctx context.Context, text, from, to string) (string, error)
}

// Why a translation failed, for the bubble; test with errors.Is.
var (
	ErrNetwork = errors.New("needs network")
	ErrKey     = errors.New("key rejected")
	ErrQuota   = errors.New("quota exceeded")
	ErrNoKey   = errors.New("no key configured")
	ErrService = errors.New("service error")
)

// Error is a provider's failure: Kind is one of the Err values above.
type Error struct {
	Provider string
	Kind     error
	Detail   string // the provider's own code or message
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%s: %v", e.Provider, e.Kind)
	}
	return fmt.Sprintf("%s: %v (%s)", e.Provider, e.Kind, e.Detail)
}

func (e *Error) Unwrap() error { return e.Kind }

func fail(provider string, kind error, format string, args ...any) error {
	return &Error{Provider: provider, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Clip cuts text to at most n bytes without splitting a rune and makes it
// valid UTF-8.
func Clip(text string, n int) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	if len(text) <= n {
		return text
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n]
}

// client is the HTTP client of every provider unless one is given.
var client = &http.Client{Timeout: Timeout}

// do sends req and returns the body (at most 1 MiB), mapping transport
// failures and HTTP statuses to the error kinds.
func do(provider string, hc *http.Client, req *http.Request) ([]byte, error) {
	if hc == nil {
		hc = client
	}
	resp, err := hc.Do(req)
	if err != nil {
		// Refused, unreachable, timed out, no DNS: all say "needs network".
		return nil, fail(provider, ErrNetwork, "%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fail(provider, ErrNetwork, "reading the answer: %v", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fail(provider, ErrKey, "HTTP %d", resp.StatusCode)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == 456: // 456: DeepL's quota
		return nil, fail(provider, ErrQuota, "HTTP %d", resp.StatusCode)
	case resp.StatusCode >= 300:
		return nil, fail(provider, ErrService, "HTTP %d: %.200s", resp.StatusCode, body)
	}
	return body, nil
}

// Cached wraps t with an LRU cache of size answers (the same selection is
// often translated twice: once by a hover, once by a click).
func Cached(t Translator, size int) Translator {
	c, _ := lru.New[string, string](max(size, 1))
	return &cached{t: t, c: c}
}

type cached struct {
	t Translator
	c *lru.Cache[string, string]
}

func (c *cached) Name() string { return c.t.Name() }

func (c *cached) Translate(ctx context.Context, text, from, to string) (string, error) {
	key := from + "\x00" + to + "\x00" + text
	if v, ok := c.c.Get(key); ok {
		return v, nil
	}
	v, err := c.t.Translate(ctx, text, from, to)
	if err == nil {
		c.c.Add(key, v)
	}
	return v, err
}
