package broker

import (
	"context"

	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// Backup writes a consistent copy of the data dir's database and token key to
// the file to, while a broker may be running on dir.
func Backup(ctx context.Context, dir, to string) (store.BackupInfo, error) {
	return store.Backup(ctx, dir, to, store.TokenKeyFile)
}

// Restore makes dir a data dir holding the backup file; a non-empty dir is
// refused unless force (the broker on it must be stopped).
func Restore(ctx context.Context, file, dir string, force bool) (store.BackupInfo, error) {
	return store.Restore(ctx, file, dir, force)
}
