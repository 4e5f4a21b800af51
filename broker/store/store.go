// Package store keeps Tachikoma's accounts, rooms, friendships and message
// history in SQLite (WAL mode, so the admin CLI can write while the broker
// runs). It is persistence only: the broker keeps what it checks on every
// packet in memory (package directory) and reloads when Generation changes.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// FileName is the database file inside the data directory.
const FileName = "tachikoma.db"

// Errors callers test with errors.Is.
var (
	ErrExists   = errors.New("already exists")
	ErrNotFound = errors.New("not found")
)

// SQLite is the default Store: one file in the data directory.
type SQLite struct {
	dir string
	db  *sql.DB
	log *messageLog
}

// Open opens (creating if needed) the database in dir.
func Open(dir string) (*SQLite, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// synchronous=NORMAL in WAL mode: a commit is in the WAL file before
	// Exec returns, so it survives kill -9 of the process (not power loss).
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_foreign_keys=on&_txlock=immediate"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	ctx := context.Background()
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	log, err := newMessageLog(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &SQLite{dir: dir, db: db, log: log}, nil
}

// Close flushes pending messages and closes the database.
func (s *SQLite) Close() error {
	s.log.close()
	return s.db.Close()
}

const schema = `
CREATE TABLE IF NOT EXISTS users (
	name      TEXT PRIMARY KEY,
	nickname  TEXT NOT NULL,
	pwhash    TEXT NOT NULL,
	created   INTEGER NOT NULL,
	last_seen INTEGER NOT NULL DEFAULT 0,
	since_id  INTEGER NOT NULL DEFAULT 0 -- see SinceID
);
CREATE TABLE IF NOT EXISTS rooms (
	name    TEXT PRIMARY KEY,
	title   TEXT NOT NULL DEFAULT '',
	public  INTEGER NOT NULL DEFAULT 1,
	owner   TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	since_id INTEGER NOT NULL DEFAULT 0 -- see SinceID
);
CREATE TABLE IF NOT EXISTS members (
	room   TEXT NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	user   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	joined INTEGER NOT NULL,
	PRIMARY KEY (room, user)
);
CREATE TABLE IF NOT EXISTS invites (
	room    TEXT NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	user    TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	inviter TEXT NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (room, user)
);
CREATE TABLE IF NOT EXISTS friends (
	a     TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	b     TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	since INTEGER NOT NULL,
	PRIMARY KEY (a, b),
	CHECK (a < b)
);
CREATE TABLE IF NOT EXISTS friend_requests (
	src     TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	dst     TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	created INTEGER NOT NULL,
	PRIMARY KEY (src, dst)
);
CREATE TABLE IF NOT EXISTS messages (
	id     INTEGER PRIMARY KEY,
	conv   TEXT NOT NULL,
	sender TEXT NOT NULL,
	nick   TEXT NOT NULL,
	body   TEXT NOT NULL,
	ts     INTEGER NOT NULL,
	cid    TEXT
);
CREATE INDEX IF NOT EXISTS messages_conv ON messages(conv, id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_cid ON messages(sender, cid) WHERE cid IS NOT NULL;
INSERT OR IGNORE INTO rooms(name, title, public, owner, created) VALUES ('lobby', 'Lobby', 1, '', 0);
-- gen counts changes to accounts, passwords and rooms, whoever makes them
-- (the admin CLI, another process): the broker polls it to reload. Chat,
-- last-seen times and nicknames do not count.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('gen', 0);
CREATE TABLE IF NOT EXISTS revoked_tokens (id TEXT PRIMARY KEY, expires INTEGER NOT NULL); -- unix s
CREATE TRIGGER IF NOT EXISTS gen_user_add AFTER INSERT ON users BEGIN UPDATE meta SET value = value + 1 WHERE key = 'gen'; END;
CREATE TRIGGER IF NOT EXISTS gen_user_del AFTER DELETE ON users BEGIN UPDATE meta SET value = value + 1 WHERE key = 'gen'; END;
CREATE TRIGGER IF NOT EXISTS gen_user_pw AFTER UPDATE OF pwhash ON users BEGIN UPDATE meta SET value = value + 1 WHERE key = 'gen'; END;
CREATE TRIGGER IF NOT EXISTS gen_room_add AFTER INSERT ON rooms BEGIN UPDATE meta SET value = value + 1 WHERE key = 'gen'; END;
CREATE TRIGGER IF NOT EXISTS gen_room_del AFTER DELETE ON rooms BEGIN UPDATE meta SET value = value + 1 WHERE key = 'gen'; END;
`

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, schema+signupSchema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	// Databases made before since_id existed get the column (0: all history).
	for _, table := range []string{"users", "rooms"} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'since_id'`, table).Scan(&n); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		if n == 0 {
			if _, err := db.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN since_id INTEGER NOT NULL DEFAULT 0`); err != nil {
				return fmt.Errorf("schema: %w", err)
			}
		}
	}
	return nil
}

// TokenKey returns the resume-token key in the data dir (TokenKeyFile),
// made on first use.
func (s *SQLite) TokenKey(context.Context) ([]byte, error) {
	return fileTokenKey(filepath.Join(s.dir, TokenKeyFile))
}

// RevokeToken records a revoked resume token until it expires.
func (s *SQLite) RevokeToken(ctx context.Context, id string, expires int64) error {
	if err := s.exec(ctx, "revoke token", `DELETE FROM revoked_tokens WHERE expires < ?`, time.Now().Unix()); err != nil {
		return err
	}
	return s.exec(ctx, "revoke token", `INSERT OR REPLACE INTO revoked_tokens(id, expires) VALUES (?, ?)`, id, expires)
}

// TokenRevoked reports whether RevokeToken recorded id.
func (s *SQLite) TokenRevoked(ctx context.Context, id string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM revoked_tokens WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("token revoked: %w", err)
	}
	return n > 0, nil
}

// CheckWritable proves the database takes writes (a full disk, a read-only
// mount or a lost file fail it) by writing a probe row.
func (s *SQLite) CheckWritable(ctx context.Context) error {
	return s.exec(ctx, "write probe", `INSERT OR REPLACE INTO meta(key, value) VALUES ('write_probe', ?)`, time.Now().UnixMilli())
}

// Generation changes whenever accounts, passwords or rooms change (see the
// gen triggers); the broker polls it to reload what it keeps in memory.
func (s *SQLite) Generation(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'gen'`).Scan(&v)
	return v, err
}

func now() int64 { return time.Now().UnixMilli() }

func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// User is an account.
type User struct {
	Name     string
	Nickname string
	PWHash   string
	Created  int64 // unix ms
	LastSeen int64 // unix ms, 0 = never
	// SinceID: the account reads DMs only after this message id, so that
	// whoever registers a deleted user's name inherits none of their DMs.
	// 0 on create means "now" (MessageWatermark).
	SinceID int64
}

// CreateUser adds an account; ErrExists when the name is taken.
func (s *SQLite) CreateUser(ctx context.Context, u User) error {
	if u.Created == 0 {
		u.Created = now()
	}
	if u.SinceID == 0 {
		var err error
		if u.SinceID, err = s.MessageWatermark(ctx); err != nil {
			return fmt.Errorf("create user %s: %w", u.Name, err)
		}
	}
	res, err := s.db.ExecContext(ctx, insertFreeUser, u.Name, u.Nickname, u.PWHash, u.Created, u.SinceID)
	return createdUser(u.Name, res, err)
}

// insertFreeUser adds an account unless the name waits for approval.
const insertFreeUser = `INSERT INTO users(name, nickname, pwhash, created, since_id)
	SELECT ?1,?2,?3,?4,?5 WHERE NOT EXISTS (SELECT 1 FROM pending_users WHERE name=?1)`

// createdUser is the error of an insertFreeUser.
func createdUser(name string, res sql.Result, err error) error {
	if isUnique(err) {
		return fmt.Errorf("user %s: %w", name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create user %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return PendingNameError(name)
	}
	return nil
}

// PendingNameError is ErrExists for a name that an account waiting for
// approval holds.
func PendingNameError(name string) error {
	return fmt.Errorf("user %s: %w: an account of that name waits for approval (account approve or account reject it first)", name, ErrExists)
}

// CreateUsers adds many accounts in one transaction (user import): all or
// none. ErrExists names the first name that is taken.
func (s *SQLite) CreateUsers(ctx context.Context, us []User) error {
	t := now()
	since, err := s.MessageWatermark(ctx)
	if err != nil {
		return fmt.Errorf("create users: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insertFreeUser)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, u := range us {
			if u.Created == 0 {
				u.Created = t
			}
			if u.SinceID == 0 {
				u.SinceID = since
			}
			res, err := stmt.ExecContext(ctx, u.Name, u.Nickname, u.PWHash, u.Created, u.SinceID)
			if err := createdUser(u.Name, res, err); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *SQLite) updateUser(ctx context.Context, name, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, append(args, name)...)
	if err != nil {
		return fmt.Errorf("user %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	return nil
}

// SetPassword replaces a user's password hash.
func (s *SQLite) SetPassword(ctx context.Context, name, hash string) error {
	return s.updateUser(ctx, name, `UPDATE users SET pwhash=? WHERE name=?`, hash)
}

// SetNickname changes a user's nickname.
func (s *SQLite) SetNickname(ctx context.Context, name, nick string) error {
	return s.updateUser(ctx, name, `UPDATE users SET nickname=? WHERE name=?`, nick)
}

// SetLastSeen records when a user was last connected.
func (s *SQLite) SetLastSeen(ctx context.Context, name string, ts int64) error {
	return s.updateUser(ctx, name, `UPDATE users SET last_seen=? WHERE name=?`, ts)
}

// DeleteUser removes an account with its memberships, friendships and
// requests. Its messages stay in history.
func (s *SQLite) DeleteUser(ctx context.Context, name string) error {
	return s.updateUser(ctx, name, `DELETE FROM users WHERE name=?`)
}

// GetUser returns one account.
func (s *SQLite) GetUser(ctx context.Context, name string) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, `SELECT name, nickname, pwhash, created, last_seen, since_id FROM users WHERE name=?`, name).
		Scan(&u.Name, &u.Nickname, &u.PWHash, &u.Created, &u.LastSeen, &u.SinceID)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	return u, err
}

// Users lists every account, ordered by name.
func (s *SQLite) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, nickname, pwhash, created, last_seen, since_id FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.Name, &u.Nickname, &u.PWHash, &u.Created, &u.LastSeen, &u.SinceID); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Room is a chat room.
type Room struct {
	Name    string
	Title   string
	Public  bool
	Owner   string
	Created int64
	SinceID int64 // history starts after this message id (see User.SinceID); 0 on create means now
}

// CreateRoom adds a room; the owner (if any) becomes its first member.
func (s *SQLite) CreateRoom(ctx context.Context, r Room) error {
	if r.Created == 0 {
		r.Created = now()
	}
	if r.SinceID == 0 {
		var err error
		if r.SinceID, err = s.MessageWatermark(ctx); err != nil {
			return fmt.Errorf("create room %s: %w", r.Name, err)
		}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO rooms(name, title, public, owner, created, since_id) VALUES (?,?,?,?,?,?)`,
			r.Name, r.Title, r.Public, r.Owner, r.Created, r.SinceID)
		if isUnique(err) {
			return fmt.Errorf("room %s: %w", r.Name, ErrExists)
		}
		if err != nil || r.Owner == "" {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO members(room, user, joined) VALUES (?,?,?)`, r.Name, r.Owner, r.Created)
		return err
	})
}

// DeleteRoom removes a room with its memberships; its history stays.
func (s *SQLite) DeleteRoom(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM rooms WHERE name=?`, name)
	if err != nil {
		return fmt.Errorf("delete room %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("room %s: %w", name, ErrNotFound)
	}
	return nil
}

// Rooms lists every room, ordered by name.
func (s *SQLite) Rooms(ctx context.Context) ([]Room, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, title, public, owner, created, since_id FROM rooms ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Room
	for rows.Next() {
		var r Room
		if err := rows.Scan(&r.Name, &r.Title, &r.Public, &r.Owner, &r.Created, &r.SinceID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Pair is a (room or user, user) relation row.
type Pair struct{ A, B string }

func (s *SQLite) pairs(ctx context.Context, query string) ([]Pair, error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Pair
	for rows.Next() {
		var p Pair
		if err := rows.Scan(&p.A, &p.B); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Members lists (room, user) memberships. Lobby membership is implicit and not stored.
func (s *SQLite) Members(ctx context.Context) ([]Pair, error) {
	return s.pairs(ctx, `SELECT room, user FROM members`)
}

// Invites lists (room, user) pending invitations.
func (s *SQLite) Invites(ctx context.Context) ([]Pair, error) {
	return s.pairs(ctx, `SELECT room, user FROM invites`)
}

// Friends lists friendships, each once with A < B.
func (s *SQLite) Friends(ctx context.Context) ([]Pair, error) {
	return s.pairs(ctx, `SELECT a, b FROM friends`)
}

// FriendRequests lists (from, to) pending requests.
func (s *SQLite) FriendRequests(ctx context.Context) ([]Pair, error) {
	return s.pairs(ctx, `SELECT src, dst FROM friend_requests`)
}

func (s *SQLite) exec(ctx context.Context, what, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Join adds user to room (and drops any invite).
func (s *SQLite) Join(ctx context.Context, room, user string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO members(room, user, joined) VALUES (?,?,?)`, room, user, now()); err != nil {
			return fmt.Errorf("join %s: %w", room, err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE room=? AND user=?`, room, user)
		return err
	})
}

// Leave removes user from room.
func (s *SQLite) Leave(ctx context.Context, room, user string) error {
	return s.exec(ctx, "leave "+room, `DELETE FROM members WHERE room=? AND user=?`, room, user)
}

// Invite records that inviter invited user to room.
func (s *SQLite) Invite(ctx context.Context, room, user, inviter string) error {
	return s.exec(ctx, "invite to "+room, `INSERT OR REPLACE INTO invites(room, user, inviter, created) VALUES (?,?,?,?)`, room, user, inviter, now())
}

// RequestFriend records src's request to dst, or befriends them when dst
// had asked; BEGIN IMMEDIATE (_txlock in Open) makes writers take turns,
// so the check holds until the commit.
func (s *SQLite) RequestFriend(ctx context.Context, src, dst string) (Asked, error) {
	var asked Asked
	err := s.tx(ctx, func(tx *sql.Tx) error {
		a, b := order(src, dst)
		var friends, back, again bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM friends WHERE a=?1 AND b=?2),
			EXISTS (SELECT 1 FROM friend_requests WHERE src=?3 AND dst=?4),
			EXISTS (SELECT 1 FROM friend_requests WHERE src=?4 AND dst=?3)`, a, b, dst, src).Scan(&friends, &back, &again); err != nil {
			return err
		}
		switch asked = Ask(friends, back, again); asked {
		case Befriended:
			return befriend(ctx, tx, a, b)
		case Requested:
			_, err := tx.ExecContext(ctx, `INSERT INTO friend_requests(src, dst, created) VALUES (?,?,?)`, src, dst, now())
			return err
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("friend request: %w", err)
	}
	return asked, nil
}

// DropFriendRequest removes a pending request from src to dst.
func (s *SQLite) DropFriendRequest(ctx context.Context, src, dst string) error {
	return s.exec(ctx, "drop friend request", `DELETE FROM friend_requests WHERE src=? AND dst=?`, src, dst)
}

// MakeFriends records a friendship and clears requests both ways.
func (s *SQLite) MakeFriends(ctx context.Context, x, y string) error {
	a, b := order(x, y)
	return s.tx(ctx, func(tx *sql.Tx) error { return befriend(ctx, tx, a, b) })
}

// befriend records the friendship of a < b and clears requests both ways.
func befriend(ctx context.Context, tx *sql.Tx, a, b string) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO friends(a, b, since) VALUES (?,?,?)`, a, b, now()); err != nil {
		return fmt.Errorf("make friends: %w", err)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM friend_requests WHERE (src=? AND dst=?) OR (src=? AND dst=?)`, a, b, b, a)
	return err
}

// Unfriend removes a friendship.
func (s *SQLite) Unfriend(ctx context.Context, x, y string) error {
	a, b := order(x, y)
	return s.exec(ctx, "unfriend", `DELETE FROM friends WHERE a=? AND b=?`, a, b)
}

func order(x, y string) (string, string) {
	if x < y {
		return x, y
	}
	return y, x
}

func (s *SQLite) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// RoomConv and DMConv name a conversation in the messages table.
func RoomConv(room string) string { return "r/" + room }

// DMConv is the same for both participants.
func DMConv(x, y string) string {
	a, b := order(x, y)
	return "d/" + a + "/" + b
}

// ConvPeers splits a DM conversation key; ok is false for rooms.
func ConvPeers(conv string) (a, b string, ok bool) {
	rest, found := strings.CutPrefix(conv, "d/")
	if !found {
		return "", "", false
	}
	return strings.Cut(rest, "/")
}
