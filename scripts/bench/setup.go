package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

const (
	benchPassword = "bench-password-0001"
	benchRoom     = "bench"
	histRoom      = "hist"
)

func userName(i int) string { return fmt.Sprintf("u%05d", i) }

// setupReport says how the data directory was prepared and how long each
// step took.
type setupReport struct {
	Users            int     `json:"users"`
	UsersSeconds     float64 `json:"users_seconds"`
	HashNote         string  `json:"hash_note"`
	HistoryMessages  int     `json:"history_messages"`
	HistorySeconds   float64 `json:"history_seconds"`
	TokensMinted     int     `json:"tokens_minted"`
	MintSeconds      float64 `json:"mint_seconds"`
	PasswordLogins   int     `json:"password_logins"`
	PasswordLoginsPS float64 `json:"password_logins_per_s"`
	TokenRequestsOK  int     `json:"token_requests_ok"`
}

// setupData creates the accounts, the bench and hist rooms, friend pairs and
// the history table directly in SQLite, before the broker first starts.
//
// Every account gets the same argon2id hash (one salt), computed once: a
// hash per account costs ~22 ms of CPU each, i.e. minutes for 20,000. The
// broker verifies these exactly as any other (PHC string, same parameters).
func setupData(dataDir string, users, members, talkers, pairs, histMsgs, histMembers int) (setupReport, error) {
	rep := setupReport{Users: users, HistoryMessages: histMsgs}
	st, err := store.Open(dataDir) // creates the schema
	if err != nil {
		return rep, err
	}
	st.Close()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, store.FileName)+"?_journal_mode=WAL&_synchronous=OFF&_busy_timeout=10000")
	if err != nil {
		return rep, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	t0 := time.Now()
	hash, err := password.Hash(benchPassword, password.Default)
	if err != nil {
		return rep, err
	}
	rep.HashNote = "one argon2id hash (default cost) shared by every bench account, inserted in one SQLite transaction; proposal: tachikoma-broker user import"
	now := time.Now().UnixMilli()
	err = inTx(db, func(tx *sql.Tx) error {
		ins, err := tx.Prepare(`INSERT INTO users(name, nickname, pwhash, created) VALUES (?,?,?,?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i := 0; i < users; i++ {
			if _, err := ins.Exec(userName(i), "Bench "+userName(i), hash, now); err != nil {
				return err
			}
		}
		for _, r := range []string{benchRoom, histRoom} {
			if _, err := tx.Exec(`INSERT INTO rooms(name, title, public, owner, created) VALUES (?,?,1,'',?)`, r, r, now); err != nil {
				return err
			}
		}
		mem, err := tx.Prepare(`INSERT INTO members(room, user, joined) VALUES (?,?,?)`)
		if err != nil {
			return err
		}
		defer mem.Close()
		for i := 0; i < min(users, talkers+members); i++ {
			if _, err := mem.Exec(benchRoom, userName(i), now); err != nil {
				return err
			}
		}
		for i := 0; i < min(users, histMembers); i++ {
			if _, err := mem.Exec(histRoom, userName(i), now); err != nil {
				return err
			}
		}
		fr, err := tx.Prepare(`INSERT INTO friends(a, b, since) VALUES (?,?,?)`)
		if err != nil {
			return err
		}
		defer fr.Close()
		for p := 0; p < pairs && 2*p+1 < users; p++ {
			if _, err := fr.Exec(userName(2*p), userName(2*p+1), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("users: %w", err)
	}
	rep.UsersSeconds = time.Since(t0).Seconds()

	t0 = time.Now()
	const chunk = 50_000
	for done := 0; done < histMsgs; done += chunk {
		err := inTx(db, func(tx *sql.Tx) error {
			ins, err := tx.Prepare(`INSERT INTO messages(id, conv, sender, nick, body, ts) VALUES (?,?,?,?,?,?)`)
			if err != nil {
				return err
			}
			defer ins.Close()
			conv := store.RoomConv(histRoom)
			for i := done; i < min(done+chunk, histMsgs); i++ {
				u := userName(i % max(1, min(users, histMembers)))
				text := fmt.Sprintf("history message %d: the quick brown fox jumps over the lazy dog", i+1)
				if _, err := ins.Exec(i+1, conv, u, "Bench "+u, text, now-int64(histMsgs-i)*10); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("history: %w", err)
		}
	}
	rep.HistorySeconds = time.Since(t0).Seconds()
	return rep, nil
}

func inTx(db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// mintTokens issues resume tokens with the broker's own code (broker.New on
// the data dir, IssueToken, exactly what the auth.token request runs),
// without serving. It creates the token key the broker will then load.
func mintTokens(dataDir string, users int) ([]string, float64, error) {
	t0 := time.Now()
	cfg := broker.DefaultConfig()
	cfg.DataDir, cfg.MQTTAddr, cfg.WSAddr, cfg.HTTPAddr = dataDir, "", "", ""
	b, err := broker.New(cfg, broker.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, 0, err
	}
	defer b.Close()
	toks := make([]string, users)
	for i := range toks {
		if toks[i], _, err = b.IssueToken(userName(i)); err != nil {
			return nil, 0, err
		}
	}
	return toks, time.Since(t0).Seconds(), nil
}

// requestTokens logs users [0, n) in with their password over MQTT and asks
// for a resume token (request auth.token): the designed first-login path.
// It returns the tokens and the password-login rate.
func requestTokens(addr string, n, workers int) ([]string, float64, error) {
	toks := make([]string, n)
	t0 := time.Now()
	err := parallel(n, workers, func(i int) (err error) {
		if toks[i], err = requestToken(addr, userName(i)); err != nil {
			return fmt.Errorf("token for %s: %w", userName(i), err)
		}
		return nil
	})
	return toks, float64(n) / time.Since(t0).Seconds(), err
}

func requestToken(addr, user string) (string, error) {
	replies := make(chan []byte, 1)
	c, err := dial(connectOpts{addr: addr, clientID: "tok-" + user, user: user, pass: benchPassword, clean: true,
		keepalive: 120, timeout: 30 * time.Second}, func(topic string, p []byte) {
		select {
		case replies <- append([]byte(nil), p...):
		default:
		}
	})
	if err != nil {
		return "", err
	}
	defer c.close()
	if err := c.subscribe(1, 10*time.Second, topics.Replies(user)); err != nil {
		return "", err
	}
	req := fmt.Sprintf(`{"id":"tok","method":%q}`, topics.MethodAuthToken)
	if err := c.publish(topics.Requests(user), 1, []byte(req)); err != nil {
		return "", err
	}
	select {
	case p := <-replies:
		var r struct {
			Result topics.Token  `json:"result"`
			Error  *topics.Error `json:"error"`
		}
		if err := json.Unmarshal(p, &r); err != nil {
			return "", err
		}
		if r.Error != nil {
			return "", r.Error
		}
		if !strings.HasPrefix(r.Result.Token, "tk1.") {
			return "", fmt.Errorf("unexpected token %q", r.Result.Token)
		}
		return r.Result.Token, nil
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("no reply to auth.token")
	}
}

var _ = context.Background
