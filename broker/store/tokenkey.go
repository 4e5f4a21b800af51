package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TokenKeyFile is the SQLite store's resume-token key, beside the database
// in the data dir (backups carry it).
const TokenKeyFile = "token.key"

// TokenKeySize is the length of a resume-token signing key.
const TokenKeySize = 32

// NewTokenKey makes a random signing key.
func NewTokenKey() ([]byte, error) {
	key := make([]byte, TokenKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	return key, nil
}

// fileTokenKey reads the key at path, creating it on first use. It is
// written aside and linked into place, so of two processes creating it at
// once one key wins and both use it.
func fileTokenKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := createFileKey(path); err != nil {
			return nil, fmt.Errorf("token key: %w", err)
		}
		key, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	if len(key) != TokenKeySize {
		return nil, fmt.Errorf("%s: want %d bytes, found %d (delete it to make a new key; issued tokens stop working)", path, TokenKeySize, len(key))
	}
	return key, nil
}

func createFileKey(path string) error {
	key, err := NewTokenKey()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token.key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}
