package broker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// BackupsConfig schedules backups made by the running broker.
type BackupsConfig struct {
	Every Duration `yaml:"every"` // 0: no scheduled backups
	Keep  int      `yaml:"keep"`  // newest scheduled backups kept; older ones are deleted
	Dir   string   `yaml:"dir"`   // "": backups/ in the data dir
}

const (
	backupPrefix = "tachikoma-"
	backupSuffix = ".db"
)

func (c BackupsConfig) validate() error {
	if c.Every != 0 && c.Every < Duration(time.Second) || c.Keep < 1 {
		return fmt.Errorf("backups: every must be 0 (off) or >= 1s, and keep >= 1")
	}
	return nil
}

func (b *Broker) backupDir() string {
	if b.cfg.Backups.Dir != "" {
		return b.cfg.Backups.Dir
	}
	return filepath.Join(b.cfg.DataDir, "backups")
}

// scheduledBackup runs every Backups.Every (Start schedules it).
func (b *Broker) scheduledBackup() {
	if err := b.backupNow(); err != nil {
		b.metrics.backups.WithLabelValues("failed").Inc()
		b.log.Error("scheduled backup failed", "dir", b.backupDir(), "error", err)
	}
}

// backupNow writes a backup named by the time into the backup dir, then
// deletes all but the newest Backups.Keep of them.
func (b *Broker) backupNow() error {
	dir := b.backupDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	name := backupPrefix + time.Now().UTC().Format("20060102T150405.000Z") + backupSuffix
	info, err := Backup(context.Background(), b.cfg.DataDir, filepath.Join(dir, name))
	if err != nil {
		return err
	}
	b.metrics.backups.WithLabelValues("ok").Inc()
	b.metrics.lastBackup.SetToCurrentTime()
	b.log.Info("scheduled backup written", "file", filepath.Join(dir, name), "bytes", info.Bytes, "messages", info.Messages)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var ours []string // only files this schedule wrote; names sort by time
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) {
			ours = append(ours, n)
		}
	}
	slices.Sort(ours)
	for _, n := range ours[:max(0, len(ours)-b.cfg.Backups.Keep)] {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
	}
	return nil
}
