// Package xdgdir finds the user's base directories as the XDG Base Directory
// specification says: an absolute $XDG_*_HOME, else its default under an
// absolute $HOME, else an error (never a guess such as "." or "/").
package xdgdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Base is one of the user's base directories.
type Base int

const (
	Data   Base = iota // $XDG_DATA_HOME, else ~/.local/share
	Config             // $XDG_CONFIG_HOME, else ~/.config
	State              // $XDG_STATE_HOME, else ~/.local/state
)

// App is the directory under each base that holds the pet's files.
const App = "tachikoma"

// ErrNoHome means neither the base's variable nor $HOME is an absolute path.
var ErrNoHome = errors.New("no home directory")

var bases = [...]struct{ env, def string }{
	Data:   {"XDG_DATA_HOME", ".local/share"},
	Config: {"XDG_CONFIG_HOME", ".config"},
	State:  {"XDG_STATE_HOME", ".local/state"},
}

// Var is the environment variable that names b, e.g. "XDG_DATA_HOME".
func (b Base) Var() string { return bases[b].env }

// Home is the base directory itself, from the process environment.
func (b Base) Home() (string, error) { return b.HomeIn(os.Getenv) }

// HomeIn is Home with the environment read through getenv.
func (b Base) HomeIn(getenv func(string) string) (string, error) {
	v := bases[b]
	// The spec: a relative path in these variables is invalid and ignored.
	if d := getenv(v.env); filepath.IsAbs(d) {
		return filepath.Clean(d), nil
	}
	if home := getenv("HOME"); filepath.IsAbs(home) {
		return filepath.Join(home, v.def), nil
	}
	return "", fmt.Errorf("neither $%s nor $HOME is set to an absolute path: %w", v.env, ErrNoHome)
}

// Path is elem inside the pet's directory of b: Home()/tachikoma/elem...
func (b Base) Path(elem ...string) (string, error) {
	home, err := b.Home()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{home, App}, elem...)...), nil
}
