package pack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tachikoma-pet/tachikoma/assets"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// DefaultID is the built-in pack's id (its directory under assets/packs).
const DefaultID = "tachikoma"

// Info describes one pack for a menu. A broken pack has Err set and should
// be shown disabled with that message.
type Info struct {
	ID      string // directory name; what LoadOrDefault takes
	Dir     string // directory on disk; empty for the built-in pack
	Builtin bool
	Meta    Meta // zero when Err is set
	Err     error
}

// UserDir is where user packs live: $XDG_DATA_HOME/tachikoma/packs, by
// default ~/.local/share/tachikoma/packs.
func UserDir() (string, error) {
	d, err := xdgdir.Data.Path("packs")
	if err != nil {
		return "", fmt.Errorf("user packs: cannot find the data folder: %w", err)
	}
	return d, nil
}

var (
	defaultOnce sync.Once
	defaultPack *Pack
	defaultErr  error
)

// Default returns the built-in pack embedded in the binary (loaded once).
func Default() (*Pack, error) {
	defaultOnce.Do(func() {
		sub, err := fs.Sub(assets.Packs(), DefaultID)
		if err != nil {
			defaultErr = err
			return
		}
		defaultPack, defaultErr = loadBuiltin(sub)
		defaultErr = labelled(defaultErr, "(built-in) "+DefaultID)
	})
	return defaultPack, defaultErr
}

// Discover lists the built-in pack and every pack directory in UserDir;
// without a UserDir, its error is listed as a broken entry.
func Discover() []Info {
	dir, err := UserDir()
	if err != nil {
		return append(DiscoverIn(""), Info{ID: "packs", Err: err})
	}
	return DiscoverIn(dir)
}

// DiscoverIn is Discover with an explicit user pack directory.
func DiscoverIn(userDir string) []Info {
	var out []Info
	def, err := Default()
	in := Info{ID: DefaultID, Builtin: true, Err: err}
	if def != nil {
		in.Meta = def.Meta()
	}
	out = append(out, in)
	if userDir == "" {
		return out
	}
	entries, err := os.ReadDir(userDir)
	if err != nil {
		// No user directory is the normal case; other errors are worth showing.
		if !errors.Is(err, fs.ErrNotExist) {
			out = append(out, Info{ID: filepath.Base(userDir), Dir: userDir, Err: fmt.Errorf("user packs: %w", err)})
		}
		return out
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(userDir, e.Name())
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue // stray files next to the packs
		}
		in := Info{ID: e.Name(), Dir: dir}
		if e.Name() == DefaultID {
			in.Err = fmt.Errorf("pack %s: the id %q belongs to the built-in pack; rename the directory", dir, DefaultID)
		} else if p, err := Load(dir); err != nil {
			in.Err = err
		} else {
			in.Meta = p.Meta()
		}
		out = append(out, in)
	}
	return out
}

// LoadOrDefault loads user pack id ("" or DefaultID means the built-in one).
// If it is missing or broken, it returns the built-in pack and the reason as
// a warning for the user; the pet keeps running either way. The returned
// pack is nil only if the built-in pack itself is broken (a build bug).
func LoadOrDefault(id string) (*Pack, error) {
	dir, err := UserDir()
	if err != nil && id != "" && id != DefaultID {
		def, derr := Default()
		return def, errors.Join(fmt.Errorf("pack %q: %w; using the built-in pack", id, err), derr)
	}
	return LoadOrDefaultIn(dir, id)
}

// LoadOrDefaultIn is LoadOrDefault with an explicit user pack directory.
func LoadOrDefaultIn(userDir, id string) (*Pack, error) {
	def, derr := Default()
	if id == "" || id == DefaultID {
		return def, derr
	}
	var warn error
	switch {
	case id == "." || id == ".." || strings.ContainsAny(id, `/\`) || strings.ContainsRune(id, 0):
		warn = fmt.Errorf("pack %q: not a pack name; using the built-in pack", id)
	case userDir == "":
		warn = fmt.Errorf("pack %q: no user pack directory; using the built-in pack", id)
	default:
		p, err := Load(filepath.Join(userDir, id))
		if err == nil {
			return p, nil
		}
		warn = fmt.Errorf("%w\n(using the built-in pack instead)", err)
	}
	if def == nil {
		return nil, errors.Join(warn, derr)
	}
	return def, warn
}
