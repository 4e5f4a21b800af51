package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Opener opens a store from its URL (see Register).
type Opener func(ctx context.Context, url string) (Store, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]Opener{}
)

// Register makes URLs with scheme (e.g. "postgres") open with open; a
// program links a store by importing its package, which registers it.
func Register(scheme string, open Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	openers[scheme] = open
}

// Scheme returns the scheme of a store setting, "" for SQLite ("" or
// "sqlite"), or an error for anything else that is not a URL.
func Scheme(setting string) (string, error) {
	if setting == "" || setting == "sqlite" {
		return "", nil
	}
	scheme, _, ok := strings.Cut(setting, "://")
	if !ok || scheme == "" {
		return "", fmt.Errorf("store %q: want sqlite or a URL such as postgres://user:password@host:5432/tachikoma", setting)
	}
	return scheme, nil
}

// OpenSetting opens the store a configuration names: SQLite in dataDir
// for "" or "sqlite", else the registered store for the URL's scheme.
func OpenSetting(ctx context.Context, setting, dataDir string) (Store, error) {
	scheme, err := Scheme(setting)
	if err != nil {
		return nil, err
	}
	if scheme == "" {
		return Open(dataDir)
	}
	openersMu.RLock()
	open := openers[scheme]
	openersMu.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("store %s://…: this program has no %s store (tachikoma-broker has postgres)", scheme, scheme)
	}
	return open(ctx, setting)
}
