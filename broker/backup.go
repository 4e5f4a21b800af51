package broker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// Backup writes a consistent copy of the data dir's database and token key to
// the file to, while a broker may be running on dir. A destination that is
// one of dir's own files is refused: renamed over the live database, the
// copy corrupts it.
func Backup(ctx context.Context, dir, to string) (store.BackupInfo, error) {
	for _, name := range []string{store.FileName, store.FileName + "-wal", store.FileName + "-shm",
		store.FileName + "-journal", store.TokenKeyFile} {
		if samePath(filepath.Join(dir, name), to) {
			return store.BackupInfo{}, fmt.Errorf("backup to %s would replace the data dir's own %s: write it outside %s", to, name, dir)
		}
	}
	return store.Backup(ctx, dir, to, store.TokenKeyFile)
}

// samePath reports whether a and b name one file, through symlinks and
// relative paths too, whether or not it exists yet.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	return resolvedPath(a) == resolvedPath(b)
}

func resolvedPath(p string) string {
	dir := filepath.Dir(p)
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	if d, err := filepath.Abs(dir); err == nil {
		dir = d
	}
	return filepath.Join(dir, filepath.Base(p))
}

// Restore makes dir a data dir holding the backup file; a non-empty dir is
// refused unless force (the broker on it must be stopped).
func Restore(ctx context.Context, file, dir string, force bool) (store.BackupInfo, error) {
	return store.Restore(ctx, file, dir, force)
}
