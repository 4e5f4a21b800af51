package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/store"
)

func backupCmd() *cobra.Command {
	var s settings
	var to string
	c := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Copy the database and token key to FILE (safe while the broker runs)",
		Long: "Writes one SQLite file holding a consistent snapshot of accounts, rooms, friends and\n" +
			"history, and the token signing key. FILE is replaced atomically if it exists.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if to == "" {
				return errors.New("--to FILE is required")
			}
			cfg, err := s.load(c)
			if err != nil {
				return err
			}
			if err := sqliteOnly(cfg, "backup"); err != nil {
				return err
			}
			info, err := broker.Backup(c.Context(), cfg.DataDir, to)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "backup of %s written to %s: %s\n", cfg.DataDir, to, describe(info))
			return nil
		},
	}
	s.bind(c)
	c.Flags().StringVar(&to, "to", "", "the backup file to write")
	return c
}

func restoreCmd() *cobra.Command {
	var s settings
	var force bool
	c := &cobra.Command{
		Use:   "restore FILE",
		Short: "Make a data dir from a backup (refuses a non-empty dir without --force)",
		Long: "Checks that FILE is an intact Tachikoma backup, then writes its database and token key\n" +
			"into the data dir. With --force an existing data dir's database and key are replaced:\n" +
			"stop the broker first.",
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := s.load(c)
			if err != nil {
				return err
			}
			if err := sqliteOnly(cfg, "restore"); err != nil {
				return err
			}
			info, err := broker.Restore(c.Context(), args[0], cfg.DataDir, force)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "restored %s into %s: %s\n", args[0], cfg.DataDir, describe(info))
			return nil
		},
	}
	s.bind(c)
	c.Flags().BoolVar(&force, "force", false, "replace the database and key of a non-empty data dir")
	return c
}

func describe(info store.BackupInfo) string {
	files := "no other files"
	if len(info.Files) > 0 {
		files = strings.Join(info.Files, ", ")
	}
	return fmt.Sprintf("%d users, %d messages, %s, %d bytes", info.Users, info.Messages, files, info.Bytes)
}

// sqliteOnly refuses backup and restore for a PostgreSQL store: they copy
// SQLite's file, and PostgreSQL has its own tools.
func sqliteOnly(cfg broker.Config, what string) error {
	if cfg.Store == "" || cfg.Store == "sqlite" {
		return nil
	}
	return fmt.Errorf("%s covers the SQLite store only; this configuration uses %s: use pg_dump / pg_restore (the token key is in the database too)", what, redactURL(cfg.Store))
}

// redactURL hides a password in a store URL.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPw := strings.Cut(rest[:at], ":"); hasPw {
			rest = user + ":***" + rest[at:]
		}
	}
	return scheme + "://" + rest
}
