// Package postgres is the Store for a cluster of brokers: every node keeps
// accounts, relations and history in one PostgreSQL database. It behaves
// as the SQLite store does (the same conformance suite, store/storetest),
// except that message ids come from a database sequence shared by all nodes.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// Timeout bounds any one call whose context has no deadline, so that a
// database that stopped answering fails requests instead of hanging them.
const Timeout = 10 * time.Second

// callTimeout is Timeout; tests shorten it.
var callTimeout = Timeout

// ErrUnstorable is a message PostgreSQL cannot hold (a NUL byte or invalid
// UTF-8); it is refused alone instead of failing its batch.
var ErrUnstorable = errors.New("text PostgreSQL cannot store")

// Store is a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	log  *store.Log
}

var _ store.Store = (*Store)(nil)

func init() {
	open := func(ctx context.Context, url string) (store.Store, error) {
		s, err := Open(ctx, url)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	store.Register("postgres", open)
	store.Register("postgresql", open)
}

// Open connects to url (postgres://user:pass@host:port/db?...) and brings
// its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store url: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = Timeout
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", redact(cfg), err)
	}
	var enc string
	if err := pool.QueryRow(ctx, `SHOW server_encoding`).Scan(&enc); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect %s: %w", redact(cfg), err)
	}
	if enc != "UTF8" {
		pool.Close()
		return nil, fmt.Errorf("%s: the database's encoding is %s; names and messages need UTF8 (createdb -E UTF8 -T template0 …)", redact(cfg), enc)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%s: %w", redact(cfg), err)
	}
	s := &Store{pool: pool}
	s.log = store.NewLog(s.commit)
	return s, nil
}

func redact(cfg *pgxpool.Config) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

// Close flushes pending messages and closes the pool.
func (s *Store) Close() error {
	s.log.Close()
	s.pool.Close()
	return nil
}

// bound gives ctx the default Timeout unless it has a deadline already.
func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, callTimeout)
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func now() int64 { return time.Now().UnixMilli() }

func (s *Store) exec(ctx context.Context, what, query string, args ...any) (pgconn.CommandTag, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return tag, fmt.Errorf("%s: %w", what, err)
	}
	return tag, nil
}

func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// Generation changes whenever accounts, passwords or rooms change.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'gen'`).Scan(&v)
	return v, err
}

// TokenKey returns the resume-token key all nodes share: the first node
// to ask stores one, and every node reads the same.
func (s *Store) TokenKey(ctx context.Context) ([]byte, error) {
	fresh, err := store.NewTokenKey()
	if err != nil {
		return nil, err
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	// Two statements: one that saw another node's insert conflict waits
	// for its commit, and the next statement's snapshot then includes it
	// (a single statement's snapshot would not).
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets(name, value) VALUES ('token_key', $1) ON CONFLICT DO NOTHING`, fresh); err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	var key []byte
	if err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = 'token_key'`).Scan(&key); err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	if len(key) != store.TokenKeySize {
		return nil, fmt.Errorf("token key: want %d bytes, found %d in secrets", store.TokenKeySize, len(key))
	}
	return key, nil
}

// RevokeToken records a revoked resume token until it expires.
func (s *Store) RevokeToken(ctx context.Context, id string, expires int64) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM revoked_tokens WHERE expires < $1`, time.Now().Unix()); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO revoked_tokens(id, expires) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET expires = excluded.expires`, id, expires); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return nil
	})
}

// TokenRevoked reports whether RevokeToken recorded id.
func (s *Store) TokenRevoked(ctx context.Context, id string) (bool, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var revoked bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE id = $1)`, id).Scan(&revoked); err != nil {
		return false, fmt.Errorf("token revoked: %w", err)
	}
	return revoked, nil
}

// CheckWritable writes a probe row.
func (s *Store) CheckWritable(ctx context.Context) error {
	_, err := s.exec(ctx, "write probe", `INSERT INTO meta(key, value) VALUES ('write_probe', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, now())
	return err
}

// --- accounts ---

const insertUser = `INSERT INTO users(name, nickname, pwhash, created, since_id) VALUES ($1,$2,$3,$4,$5)`

// CreateUser adds an account; store.ErrExists when the name is taken.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if u.Created == 0 {
		u.Created = now()
	}
	if u.SinceID == 0 {
		var err error
		if u.SinceID, err = s.MessageWatermark(ctx); err != nil {
			return fmt.Errorf("create user %s: %w", u.Name, err)
		}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockNames(ctx, tx, u.Name); err != nil {
			return fmt.Errorf("create user %s: %w", u.Name, err)
		}
		tag, err := tx.Exec(ctx, insertFreeUser, u.Name, u.Nickname, u.PWHash, u.Created, u.SinceID)
		if err != nil && !isUnique(err) {
			err = fmt.Errorf("create user %s: %w", u.Name, err)
		}
		return createdUser(u.Name, tag, err)
	})
}

// lockNames makes transactions that put any of names into users or
// pending_users take turns, so that each one's check of both tables holds
// until its commit; names share 1024 locks taken in one order, so that an
// import takes at most that many and two never deadlock.
func lockNames(ctx context.Context, tx pgx.Tx, names ...string) error {
	seen := map[int32]bool{}
	var keys []int32
	for _, n := range names {
		h := fnv.New32a()
		h.Write([]byte(n))
		if k := int32(h.Sum32() & 1023); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7262052, k) FROM unnest($1::int4[]) WITH ORDINALITY AS t(k, i) ORDER BY i`, keys)
	return err
}

// insertFreeUser adds an account unless the name waits for approval.
const insertFreeUser = `INSERT INTO users(name, nickname, pwhash, created, since_id)
	SELECT $1::TEXT, $2::TEXT, $3::TEXT, $4::BIGINT, $5::BIGINT WHERE NOT EXISTS (SELECT 1 FROM pending_users WHERE name=$1::TEXT)`

// createdUser is the error of an insertFreeUser.
func createdUser(name string, tag pgconn.CommandTag, err error) error {
	if isUnique(err) {
		return fmt.Errorf("user %s: %w", name, store.ErrExists)
	}
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.PendingNameError(name)
	}
	return nil
}

// CreateUsers adds many accounts in one transaction: all or none.
func (s *Store) CreateUsers(ctx context.Context, us []store.User) error {
	t := now()
	return s.tx(ctx, func(tx pgx.Tx) error {
		since, err := watermark(ctx, tx)
		if err != nil {
			return err
		}
		names := make([]string, len(us))
		for i, u := range us {
			names[i] = u.Name
		}
		if err := lockNames(ctx, tx, names...); err != nil {
			return fmt.Errorf("create users: %w", err)
		}
		for _, u := range us {
			if u.Created == 0 {
				u.Created = t
			}
			if u.SinceID == 0 {
				u.SinceID = since
			}
			tag, err := tx.Exec(ctx, insertFreeUser, u.Name, u.Nickname, u.PWHash, u.Created, u.SinceID)
			if err != nil && !isUnique(err) {
				err = fmt.Errorf("create user %s: %w", u.Name, err)
			}
			if err := createdUser(u.Name, tag, err); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) updateUser(ctx context.Context, name, query string, args ...any) error {
	tag, err := s.exec(ctx, "user "+name, query, append(args, name)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	return s.updateUser(ctx, name, `UPDATE users SET pwhash=$1 WHERE name=$2`, hash)
}

// SetNickname changes a user's nickname.
func (s *Store) SetNickname(ctx context.Context, name, nick string) error {
	return s.updateUser(ctx, name, `UPDATE users SET nickname=$1 WHERE name=$2`, nick)
}

// SetLastSeen records when a user was last connected.
func (s *Store) SetLastSeen(ctx context.Context, name string, ts int64) error {
	return s.updateUser(ctx, name, `UPDATE users SET last_seen=$1 WHERE name=$2`, ts)
}

// DeleteUser removes an account with its relations; its messages stay.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	return s.updateUser(ctx, name, `DELETE FROM users WHERE name=$1`)
}

const userCols = `name, nickname, pwhash, created, last_seen, since_id`

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	err := row.Scan(&u.Name, &u.Nickname, &u.PWHash, &u.Created, &u.LastSeen, &u.SinceID)
	return u, err
}

// GetUser returns one account.
func (s *Store) GetUser(ctx context.Context, name string) (store.User, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE name=$1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("user %s: %w", name, store.ErrNotFound)
	}
	return u, err
}

// Users lists every account, ordered by name.
func (s *Store) Users(ctx context.Context) ([]store.User, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.User, error) { return scanUser(r) })
}

// CreateRoom adds a room; the owner (if any) becomes its first member.
func (s *Store) CreateRoom(ctx context.Context, r store.Room) error {
	if r.Created == 0 {
		r.Created = now()
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if r.SinceID == 0 {
			var err error
			if r.SinceID, err = watermark(ctx, tx); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO rooms(name, title, public, owner, created, since_id) VALUES ($1,$2,$3,$4,$5,$6)`,
			r.Name, r.Title, r.Public, r.Owner, r.Created, r.SinceID)
		if isUnique(err) {
			return fmt.Errorf("room %s: %w", r.Name, store.ErrExists)
		}
		if err != nil || r.Owner == "" {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO members(room, member, joined) VALUES ($1,$2,$3)`, r.Name, r.Owner, r.Created)
		return err
	})
}

// DeleteRoom removes a room with its memberships; its history stays.
func (s *Store) DeleteRoom(ctx context.Context, name string) error {
	tag, err := s.exec(ctx, "delete room "+name, `DELETE FROM rooms WHERE name=$1`, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("room %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// Rooms lists every room, ordered by name.
func (s *Store) Rooms(ctx context.Context) ([]store.Room, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `SELECT name, title, public, owner, created, since_id FROM rooms ORDER BY name`)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Room, error) {
		var r store.Room
		err := row.Scan(&r.Name, &r.Title, &r.Public, &r.Owner, &r.Created, &r.SinceID)
		return r, err
	})
}

// --- relations ---

func (s *Store) pairs(ctx context.Context, query string) ([]store.Pair, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, query)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Pair, error) {
		var p store.Pair
		err := row.Scan(&p.A, &p.B)
		return p, err
	})
}

// Members lists (room, user) memberships.
func (s *Store) Members(ctx context.Context) ([]store.Pair, error) {
	return s.pairs(ctx, `SELECT room, member FROM members`)
}

// Invites lists (room, user) pending invitations.
func (s *Store) Invites(ctx context.Context) ([]store.Pair, error) {
	return s.pairs(ctx, `SELECT room, member FROM invites`)
}

// Friends lists friendships, each once with A < B.
func (s *Store) Friends(ctx context.Context) ([]store.Pair, error) {
	return s.pairs(ctx, `SELECT a, b FROM friends`)
}

// FriendRequests lists (from, to) pending requests.
func (s *Store) FriendRequests(ctx context.Context) ([]store.Pair, error) {
	return s.pairs(ctx, `SELECT src, dst FROM friend_requests`)
}

// Join adds user to room and drops any invite.
func (s *Store) Join(ctx context.Context, room, user string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO members(room, member, joined) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING`, room, user, now()); err != nil {
			return fmt.Errorf("join %s: %w", room, err)
		}
		_, err := tx.Exec(ctx, `DELETE FROM invites WHERE room=$1 AND member=$2`, room, user)
		return err
	})
}

// Leave removes user from room.
func (s *Store) Leave(ctx context.Context, room, user string) error {
	_, err := s.exec(ctx, "leave "+room, `DELETE FROM members WHERE room=$1 AND member=$2`, room, user)
	return err
}

// Invite records that inviter invited user to room.
func (s *Store) Invite(ctx context.Context, room, user, inviter string) error {
	_, err := s.exec(ctx, "invite to "+room, `INSERT INTO invites(room, member, inviter, created) VALUES ($1,$2,$3,$4)
		ON CONFLICT (room, member) DO UPDATE SET inviter = excluded.inviter, created = excluded.created`, room, user, inviter, now())
	return err
}

// RequestFriend records src's request to dst, or befriends them when dst
// had asked; the pair's lock holds the check until the commit.
func (s *Store) RequestFriend(ctx context.Context, src, dst string) (store.Asked, error) {
	var asked store.Asked
	err := s.tx(ctx, func(tx pgx.Tx) error {
		a, b := order(src, dst)
		if err := lockPair(ctx, tx, a, b); err != nil {
			return err
		}
		var friends, back, again bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM friends WHERE a=$1 AND b=$2),
			EXISTS (SELECT 1 FROM friend_requests WHERE src=$3 AND dst=$4),
			EXISTS (SELECT 1 FROM friend_requests WHERE src=$4 AND dst=$3)`, a, b, dst, src).Scan(&friends, &back, &again); err != nil {
			return err
		}
		switch asked = store.Ask(friends, back, again); asked {
		case store.Befriended:
			return befriend(ctx, tx, a, b)
		case store.Requested:
			_, err := tx.Exec(ctx, `INSERT INTO friend_requests(src, dst, created) VALUES ($1,$2,$3)`, src, dst, now())
			return err
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("friend request: %w", err)
	}
	return asked, nil
}

// lockPair makes the friendship writes of users a < b take turns, so that
// what one reads holds until its commit (READ COMMITTED alone lets two
// crossed requests each miss the other's); pairs share locks by hash.
func lockPair(ctx context.Context, tx pgx.Tx, a, b string) error {
	h := fnv.New32a()
	h.Write([]byte(a))
	h.Write([]byte{0}) // names hold no NUL
	h.Write([]byte(b))
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7262053, $1)`, int32(h.Sum32()))
	return err
}

// DropFriendRequest removes a pending request from src to dst.
func (s *Store) DropFriendRequest(ctx context.Context, src, dst string) error {
	_, err := s.exec(ctx, "drop friend request", `DELETE FROM friend_requests WHERE src=$1 AND dst=$2`, src, dst)
	return err
}

// MakeFriends records a friendship and clears requests both ways.
func (s *Store) MakeFriends(ctx context.Context, x, y string) error {
	a, b := order(x, y)
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockPair(ctx, tx, a, b); err != nil {
			return err
		}
		return befriend(ctx, tx, a, b)
	})
}

// befriend records the friendship of a < b and clears requests both ways.
func befriend(ctx context.Context, tx pgx.Tx, a, b string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO friends(a, b, since) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING`, a, b, now()); err != nil {
		return fmt.Errorf("make friends: %w", err)
	}
	_, err := tx.Exec(ctx, `DELETE FROM friend_requests WHERE (src=$1 AND dst=$2) OR (src=$2 AND dst=$1)`, a, b)
	return err
}

// Unfriend removes a friendship.
func (s *Store) Unfriend(ctx context.Context, x, y string) error {
	a, b := order(x, y)
	_, err := s.exec(ctx, "unfriend", `DELETE FROM friends WHERE a=$1 AND b=$2`, a, b)
	return err
}

// order is store's byte order, which the friends table's COLLATE "C" check agrees with.
func order(x, y string) (string, string) {
	if x < y {
		return x, y
	}
	return y, x
}

// --- history ---

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func watermark(ctx context.Context, q querier) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM message_ids`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("message watermark: %w", err)
	}
	return id, nil
}

// MessageWatermark is the newest message id any node has reserved.
func (s *Store) MessageWatermark(ctx context.Context) (int64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	return watermark(ctx, s.pool)
}

// NextMessageID takes the next id from the sequence every node shares, so
// ids grow across nodes in the order they were reserved.
func (s *Store) NextMessageID(ctx context.Context) (int64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT nextval('message_ids')`).Scan(&id); err != nil {
		return 0, fmt.Errorf("next message id: %w", err)
	}
	return id, nil
}

func storable(m store.Message) error {
	for _, f := range []string{m.Conv, m.Sender, m.Nick, m.Text, m.CID} {
		if strings.IndexByte(f, 0) >= 0 || !utf8.ValidString(f) {
			return fmt.Errorf("message %d: %w", m.ID, ErrUnstorable)
		}
	}
	return nil
}

// AppendMessage hands m (whose ID came from NextMessageID) to the log.
func (s *Store) AppendMessage(m store.Message) (store.Commit, error) {
	if err := storable(m); err != nil {
		return store.Commit{}, err
	}
	return s.log.Append(m)
}

// AppendMessageThen is AppendMessage for a caller that does not wait.
func (s *Store) AppendMessageThen(m store.Message, then func(error)) error {
	if err := storable(m); err != nil {
		return err
	}
	return s.log.AppendThen(m, then)
}

// commit stores a batch in one statement (so all or none of it).
func (s *Store) commit(ctx context.Context, batch []store.Message) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	n := len(batch)
	ids, ts := make([]int64, n), make([]int64, n)
	conv, sender, nick, body := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cid := make([]*string, n)
	for i, m := range batch {
		ids[i], ts[i], conv[i], sender[i], nick[i], body[i] = m.ID, m.TS, m.Conv, m.Sender, m.Nick, m.Text
		if m.CID != "" {
			cid[i] = &batch[i].CID
		}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO messages(id, conv, sender, nick, body, ts, cid)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
		ON CONFLICT DO NOTHING`, ids, conv, sender, nick, body, ts, cid)
	if err != nil {
		return fmt.Errorf("store %d messages: %w", n, err)
	}
	return nil
}

// ObserveCommits has fn called after each history commit.
func (s *Store) ObserveCommits(fn func(n int, took time.Duration, err error)) { s.log.Observe(fn) }

// HistoryBacklog is the number of messages waiting for their commit.
func (s *Store) HistoryBacklog() int { return s.log.Backlog() }

// History returns up to limit messages of conv with id < before, newest first.
func (s *Store) History(ctx context.Context, conv string, before int64, limit int) ([]store.Message, error) {
	return s.HistorySince(ctx, conv, before, 0, limit)
}

// HistorySince is History limited to ids above since. It includes every
// message this node appended before the call.
func (s *Store) HistorySince(ctx context.Context, conv string, before, since int64, limit int) ([]store.Message, error) {
	if limit < 1 {
		return []store.Message{}, nil
	}
	s.log.WaitProcessed()
	if before <= 0 {
		before = 1<<63 - 1
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `SELECT id, conv, sender, nick, body, ts, COALESCE(cid, '') FROM messages
		WHERE conv=$1 AND id<$2 AND id>$3 ORDER BY id DESC LIMIT $4`, conv, before, since, limit)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Message, error) {
		var m store.Message
		err := row.Scan(&m.ID, &m.Conv, &m.Sender, &m.Nick, &m.Text, &m.TS, &m.CID)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", conv, err)
	}
	if out == nil {
		out = []store.Message{}
	}
	return out, nil
}

// EachCID calls each with every cid of sender's stored messages, until it
// returns false.
func (s *Store) EachCID(ctx context.Context, sender string, each func(cid string) bool) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT cid FROM messages WHERE sender=$1 AND cid IS NOT NULL`, sender)
	if err != nil {
		return fmt.Errorf("cids of %s: %w", sender, err)
	}
	defer rows.Close()
	if err := store.EachString(rows, each); err != nil {
		return fmt.Errorf("cids of %s: %w", sender, err)
	}
	return nil
}

// FindByCID returns the id of sender's stored message with cid, or 0.
func (s *Store) FindByCID(ctx context.Context, sender, cid string) (int64, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM messages WHERE sender=$1 AND cid=$2`, sender, cid).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}
