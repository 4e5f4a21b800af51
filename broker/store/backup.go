package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// backupFiles is the table in a backup that carries the data dir's other
// files (the token key), so that one backup file restores everything.
const backupFiles = "tachikoma_backup_files"

// BackupInfo describes a written or restored backup.
type BackupInfo struct {
	Bytes    int64    // size of the backup file
	Messages int64    // messages in its history
	Users    int64    // accounts
	Files    []string // data-dir files carried besides the database
}

// Backup copies the database in dir, and the named files of dir that exist,
// to dest with SQLite's online backup API: a consistent snapshot taken while
// a broker keeps writing. dest is replaced atomically, never left half written.
func Backup(ctx context.Context, dir, dest string, files ...string) (BackupInfo, error) {
	src := filepath.Join(dir, FileName)
	if _, err := os.Stat(src); err != nil {
		if _, derr := os.Stat(dir); derr != nil {
			return BackupInfo{}, fmt.Errorf("data dir %s: %w", dir, errors.Unwrap(derr))
		}
		return BackupInfo{}, fmt.Errorf("data dir %s holds no database: %w", dir, err)
	}
	tmp := dest + ".part"
	if err := createEmpty(tmp); err != nil {
		return BackupInfo{}, fmt.Errorf("cannot write the backup to %s: %w", dest, errors.Unwrap(err))
	}
	defer os.Remove(tmp)
	if err := copyDB(ctx, "file:"+src+"?mode=rw&_busy_timeout=10000", tmp); err != nil {
		return BackupInfo{}, fmt.Errorf("backup %s: %w", src, err)
	}
	info, err := addFiles(ctx, tmp, dir, files)
	if err != nil {
		return BackupInfo{}, err
	}
	if err := syncFile(tmp); err != nil {
		return BackupInfo{}, err
	}
	if err := os.Rename(tmp, dest); err != nil {
		return BackupInfo{}, fmt.Errorf("backup target: %w", err)
	}
	return info, nil
}

// Restore checks that file is a Tachikoma backup and makes dir a data dir
// holding it. A dir with anything in it is refused unless force, which
// replaces the database and the carried files (the broker must be stopped).
func Restore(ctx context.Context, file, dir string, force bool) (BackupInfo, error) {
	info, err := CheckBackup(ctx, file)
	if err != nil {
		return info, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return info, fmt.Errorf("data dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return info, fmt.Errorf("data dir: %w", err)
	}
	if len(entries) > 0 && !force {
		return info, fmt.Errorf("data dir %s is not empty (%d entries): restore into a new directory, or stop the broker and pass --force to replace its data", dir, len(entries))
	}
	db := filepath.Join(dir, FileName)
	tmp := db + ".restore"
	if err := createEmpty(tmp); err != nil {
		return info, fmt.Errorf("data dir: %w", err)
	}
	defer os.Remove(tmp)
	if err := copyDB(ctx, "file:"+file+"?mode=ro", tmp); err != nil {
		return info, fmt.Errorf("restore %s: %w", file, err)
	}
	carried, err := takeFiles(ctx, tmp)
	if err != nil {
		return info, err
	}
	if err := syncFile(tmp); err != nil {
		return info, err
	}
	// A stale WAL beside the new file would be replayed into it.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(db + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return info, fmt.Errorf("data dir: %w", err)
		}
	}
	if err := os.Rename(tmp, db); err != nil {
		return info, fmt.Errorf("data dir: %w", err)
	}
	for name, data := range carried {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return info, fmt.Errorf("data dir: %w", err)
		}
	}
	// Opening migrates a backup made by an older version and proves it works.
	st, err := Open(dir)
	if err != nil {
		return info, err
	}
	return info, st.Close()
}

// CheckBackup verifies that file is an intact SQLite database with
// Tachikoma's tables, and describes it.
func CheckBackup(ctx context.Context, file string) (BackupInfo, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return BackupInfo{}, fmt.Errorf("backup %s: not a regular file", file)
	}
	db, err := sql.Open("sqlite3", "file:"+file+"?mode=ro")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup %s: %w", file, err)
	}
	defer db.Close()
	notOurs := func(why any) error {
		return fmt.Errorf("%s is not a Tachikoma backup: %v", file, why)
	}
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&ok); err != nil {
		return BackupInfo{}, notOurs(err)
	}
	if ok != "ok" {
		return BackupInfo{}, notOurs("damaged database: " + ok)
	}
	for _, table := range []string{"users", "rooms", "messages", "meta"} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil {
			return BackupInfo{}, notOurs(err)
		}
		if n == 0 {
			return BackupInfo{}, notOurs("no table " + table)
		}
	}
	info := BackupInfo{Bytes: fi.Size()}
	if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM users)`).Scan(&info.Messages, &info.Users); err != nil {
		return info, notOurs(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT name FROM `+backupFiles+` ORDER BY name`)
	if err != nil {
		return info, nil // a plain database file: nothing carried
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return info, notOurs(err)
		}
		info.Files = append(info.Files, name)
	}
	return info, rows.Err()
}

// copyDB copies the database at srcDSN into the file dest with the backup API.
func copyDB(ctx context.Context, srcDSN, dest string) error {
	src, err := sql.Open("sqlite3", srcDSN)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := sql.Open("sqlite3", "file:"+dest)
	if err != nil {
		return err
	}
	defer dst.Close()
	sc, err := src.Conn(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	dc, err := dst.Conn(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	return dc.Raw(func(d any) error {
		return sc.Raw(func(s any) error {
			bk, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			// One step copies every page under a single read transaction:
			// the snapshot is consistent however the broker writes meanwhile.
			for try := 0; ; try++ {
				done, err := bk.Step(-1)
				if done {
					break
				}
				var se sqlite3.Error
				if err != nil && !(errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) && try < 100) {
					bk.Finish()
					if err == nil {
						err = errors.New("backup step made no progress")
					}
					return err
				}
				time.Sleep(50 * time.Millisecond)
			}
			return bk.Finish()
		})
	})
}

// addFiles stores dir's named files that exist in the backup at path.
func addFiles(ctx context.Context, path, dir string, files []string) (BackupInfo, error) {
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	// The copy keeps the source's WAL mode; a backup is one self-contained file.
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode=DELETE; CREATE TABLE `+backupFiles+` (name TEXT PRIMARY KEY, data BLOB NOT NULL)`); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	var info BackupInfo
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return info, fmt.Errorf("backup: %w", err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO `+backupFiles+`(name, data) VALUES (?, ?)`, name, data); err != nil {
			return info, fmt.Errorf("backup: %w", err)
		}
		info.Files = append(info.Files, name)
	}
	if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM users)`).Scan(&info.Messages, &info.Users); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	if err := db.Close(); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return info, err
	}
	info.Bytes = fi.Size()
	return info, nil
}

// takeFiles removes the carried files from a restored copy and returns them.
func takeFiles(ctx context.Context, path string) (map[string][]byte, error) {
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	files := map[string][]byte{}
	rows, err := db.QueryContext(ctx, `SELECT name, data FROM `+backupFiles)
	if err != nil {
		return files, nil // a plain database file
	}
	for rows.Next() {
		var name string
		var data []byte
		if err := rows.Scan(&name, &data); err != nil {
			rows.Close()
			return nil, fmt.Errorf("restore: %w", err)
		}
		if name != filepath.Base(name) || name == "." || name == ".." || name == FileName {
			rows.Close()
			return nil, fmt.Errorf("restore: backup carries a bad file name %q", name)
		}
		files[name] = data
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if _, err := db.ExecContext(ctx, `DROP TABLE `+backupFiles+`; VACUUM`); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return files, db.Close()
}

// createEmpty makes an empty file at path, failing early and clearly when the
// place is not writable.
func createEmpty(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
