package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are applied in order, each once, in its own transaction; a
// database records the versions it has. Append; never edit a released one.
// Names are COLLATE "C" so that equality and order are byte for byte, as
// in SQLite, whatever the database's locale.
var migrations = []string{
	1: `
CREATE TABLE users (
	name      TEXT COLLATE "C" PRIMARY KEY,
	nickname  TEXT NOT NULL,
	pwhash    TEXT NOT NULL,
	created   BIGINT NOT NULL,
	last_seen BIGINT NOT NULL DEFAULT 0,
	since_id  BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE rooms (
	name     TEXT COLLATE "C" PRIMARY KEY,
	title    TEXT NOT NULL DEFAULT '',
	public   BOOLEAN NOT NULL DEFAULT TRUE,
	owner    TEXT NOT NULL DEFAULT '',
	created  BIGINT NOT NULL,
	since_id BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE members (
	room   TEXT COLLATE "C" NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	member TEXT COLLATE "C" NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	joined BIGINT NOT NULL,
	PRIMARY KEY (room, member)
);
CREATE TABLE invites (
	room    TEXT COLLATE "C" NOT NULL REFERENCES rooms(name) ON DELETE CASCADE,
	member  TEXT COLLATE "C" NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	inviter TEXT NOT NULL,
	created BIGINT NOT NULL,
	PRIMARY KEY (room, member)
);
CREATE TABLE friends (
	a     TEXT COLLATE "C" NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	b     TEXT COLLATE "C" NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	since BIGINT NOT NULL,
	PRIMARY KEY (a, b),
	CHECK (a < b)
);
CREATE TABLE friend_requests (
	src     TEXT COLLATE "C" NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	dst     TEXT COLLATE "C" NOT NULL REFERENCES users(name) ON DELETE CASCADE,
	created BIGINT NOT NULL,
	PRIMARY KEY (src, dst)
);
CREATE INDEX friend_requests_dst ON friend_requests(dst);
CREATE SEQUENCE message_ids;
CREATE TABLE messages (
	id     BIGINT PRIMARY KEY,
	conv   TEXT COLLATE "C" NOT NULL,
	sender TEXT COLLATE "C" NOT NULL,
	nick   TEXT NOT NULL,
	body   TEXT NOT NULL,
	ts     BIGINT NOT NULL,
	cid    TEXT COLLATE "C"
);
CREATE INDEX messages_conv ON messages(conv, id);
CREATE UNIQUE INDEX messages_cid ON messages(sender, cid) WHERE cid IS NOT NULL;
-- gen counts changes to accounts, passwords and rooms, whoever makes them
-- (and relations since version 4); every node polls it once a second to
-- reload (a cluster's nodes also tell each other at once through NATS).
-- Nothing LISTENs to the tachikoma_gen NOTIFY.
CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO meta(key, value) VALUES ('gen', 0);
CREATE FUNCTION bump_gen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE meta SET value = value + 1 WHERE key = 'gen';
	PERFORM pg_notify('tachikoma_gen', '');
	RETURN NULL;
END $$;
CREATE TRIGGER gen_users AFTER INSERT OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION bump_gen();
CREATE TRIGGER gen_user_pw AFTER UPDATE OF pwhash ON users FOR EACH ROW EXECUTE FUNCTION bump_gen();
CREATE TRIGGER gen_rooms AFTER INSERT OR DELETE ON rooms FOR EACH ROW EXECUTE FUNCTION bump_gen();
`,
	// Registration invite codes and accounts waiting for approval.
	2: `
CREATE TABLE signup_codes (
	code    TEXT COLLATE "C" PRIMARY KEY,
	uses    INTEGER NOT NULL,
	used    INTEGER NOT NULL DEFAULT 0,
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE pending_users (
	name     TEXT COLLATE "C" PRIMARY KEY,
	nickname TEXT NOT NULL,
	pwhash   TEXT NOT NULL,
	created  BIGINT NOT NULL,
	invite   TEXT NOT NULL DEFAULT '',
	address  TEXT NOT NULL DEFAULT ''
);
`,
	// Keys every node shares (the resume-token key).
	3: `
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
`,
	// Relations and nicknames count in gen too: a node tells the others of
	// its changes through NATS at most once, and one that missed the notice
	// (its sender killed after the commit) catches up at its next poll.
	4: `
CREATE TRIGGER gen_members AFTER INSERT OR DELETE ON members FOR EACH ROW EXECUTE FUNCTION bump_gen();
CREATE TRIGGER gen_invites AFTER INSERT OR DELETE ON invites FOR EACH ROW EXECUTE FUNCTION bump_gen();
CREATE TRIGGER gen_friends AFTER INSERT OR DELETE ON friends FOR EACH ROW EXECUTE FUNCTION bump_gen();
CREATE TRIGGER gen_friend_requests AFTER INSERT OR DELETE ON friend_requests FOR EACH ROW EXECUTE FUNCTION bump_gen();
CREATE TRIGGER gen_user_nick AFTER UPDATE OF nickname ON users FOR EACH ROW EXECUTE FUNCTION bump_gen();
`,
	// Resume tokens revoked before their expiry (unix s), by digest.
	5: `
CREATE TABLE revoked_tokens (id TEXT COLLATE "C" PRIMARY KEY, expires BIGINT NOT NULL);
`,
}

// idsLostBound exceeds the ids a database can have handed out after the
// copy it was restored from, as the SQLite store's bound does.
const idsLostBound = 1 << 20

// migrate applies what the database lacks. An advisory lock makes nodes
// that start together take turns.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7262051)`); err != nil {
			return fmt.Errorf("schema lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_versions (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_versions`).Scan(&have); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		if have > len(migrations)-1 {
			return fmt.Errorf("schema version %d is newer than this broker knows (%d): upgrade the broker", have, len(migrations)-1)
		}
		for v := have + 1; v < len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("schema version %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_versions(version) VALUES ($1)`, v); err != nil {
				return fmt.Errorf("schema version %d: %w", v, err)
			}
		}
		// Like SQLite's store: ids handed out but lost with the database
		// (restored from a dump) were seen by pets, which drop a message
		// that comes with one again, so a used database's ids go on past
		// all that can have been handed out since.
		if _, err := tx.Exec(ctx, `SELECT setval('message_ids', GREATEST(last_value, (SELECT COALESCE(MAX(id), 0) FROM messages)) + $1)
			FROM message_ids WHERE is_called OR EXISTS (SELECT 1 FROM messages)`, idsLostBound); err != nil {
			return fmt.Errorf("message ids: %w", err)
		}
		// Like SQLite's store: the lobby exists, even after someone deleted it.
		if _, err := tx.Exec(ctx, `INSERT INTO rooms(name, title, public, owner, created) VALUES ('lobby', 'Lobby', TRUE, '', 0) ON CONFLICT DO NOTHING`); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		return nil
	})
}
