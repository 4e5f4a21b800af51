// Package dict is Tachikoma's offline English–Chinese dictionary: ECDICT's
// data in a compact sorted file that opens without parsing (mapped, or
// embedded in the binary), with exact, case-folded, lemmatised, phrase,
// typo-tolerant and Chinese→English lookups. It has no toolkit and no
// network.
package dict

import (
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

//go:embed data/ecdict-core.tkd
var coreData string

// FullFile is the full dictionary's name in the data dir (`make dict-full`).
const FullFile = "ecdict-full.tkd"

// Core opens the core dictionary built into the binary.
func Core() (*Dict, error) { return openString(coreData, "core (built in)") }

// DataDir is $XDG_DATA_HOME/tachikoma/dict, or ~/.local/share/tachikoma/dict.
func DataDir() (string, error) {
	d, err := xdgdir.Data.Path("dict")
	if err != nil {
		return "", fmt.Errorf("dictionary: cannot find the data folder: %w", err)
	}
	return d, nil
}

// OpenDefault opens the full dictionary when it is installed and sound, the
// core one otherwise; a damaged full dictionary is logged and skipped.
func OpenDefault(log *slog.Logger) (*Dict, error) {
	if log == nil {
		log = slog.Default()
	}
	dir, err := DataDir()
	if err != nil {
		log.Warn("full dictionary not looked for; using the built-in one", "err", err)
		return Core()
	}
	p := filepath.Join(dir, FullFile)
	d, err := OpenFile(p)
	switch {
	case err == nil:
		return d, nil
	case !errors.Is(err, os.ErrNotExist):
		log.Warn("full dictionary unusable; using the built-in one", "file", p, "err", err)
	}
	return Core()
}
