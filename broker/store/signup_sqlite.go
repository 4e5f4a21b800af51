package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CreateInvite makes a random code good for uses registrations until
// expires (zero: never).
func (s *SQLite) CreateInvite(ctx context.Context, uses int, expires time.Time) (Invite, error) {
	if uses < 1 {
		return Invite{}, fmt.Errorf("invite: uses must be >= 1, not %d", uses)
	}
	inv := Invite{Uses: uses, Created: now()}
	if !expires.IsZero() {
		inv.Expires = expires.UnixMilli()
	}
	for range 3 { // a collision of 80 random bits means a broken generator; retry a little anyway
		code, err := NewInviteCode()
		if err != nil {
			return Invite{}, err
		}
		inv.Code = code
		_, err = s.db.ExecContext(ctx, `INSERT INTO signup_codes(code, uses, created, expires) VALUES (?,?,?,?)`,
			inv.Code, inv.Uses, inv.Created, inv.Expires)
		if isUnique(err) {
			continue
		}
		if err != nil {
			return Invite{}, fmt.Errorf("create invite: %w", err)
		}
		return inv, nil
	}
	return Invite{}, errors.New("create invite: random codes keep colliding")
}

// SignupInvites lists registration invite codes, newest first.
func (s *SQLite) SignupInvites(ctx context.Context) ([]Invite, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, uses, used, created, expires FROM signup_codes ORDER BY created DESC, code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Invite
	for rows.Next() {
		var i Invite
		if err := rows.Scan(&i.Code, &i.Uses, &i.Used, &i.Created, &i.Expires); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// RevokeInvite deletes a code; ErrNotFound if there is none.
func (s *SQLite) RevokeInvite(ctx context.Context, code string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM signup_codes WHERE code=?`, NormalInvite(code))
	if err != nil {
		return fmt.Errorf("revoke invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("invite %s: %w", code, ErrNotFound)
	}
	return nil
}

// Register creates u (or a pending account) and uses up one use of the
// invite in the same transaction: of parallel registrations with a code's
// last use, exactly one succeeds, and a name already taken (by an account
// or a pending one) uses nothing. Invite errors are ErrInvite*; a taken
// name is ErrExists.
func (s *SQLite) Register(ctx context.Context, u User, how Signup) error {
	if u.Created == 0 {
		u.Created = now()
	}
	if u.SinceID == 0 {
		var err error
		if u.SinceID, err = s.MessageWatermark(ctx); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		// The code first: without a good one, a taken name must look like
		// a free one. A use counted here is undone with the transaction
		// when the name turns out to be taken.
		code, err := how.Code()
		if err != nil {
			return err
		}
		if code != "" {
			if err := useInvite(ctx, tx, code, u.Created); err != nil {
				return err
			}
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users WHERE name=?) + (SELECT COUNT(*) FROM pending_users WHERE name=?)`,
			u.Name, u.Name).Scan(&taken); err != nil {
			return fmt.Errorf("register %s: %w", u.Name, err)
		}
		if taken > 0 {
			return fmt.Errorf("user %s: %w", u.Name, ErrExists)
		}
		if how.Pending {
			_, err = tx.ExecContext(ctx, `INSERT INTO pending_users(name, nickname, pwhash, created, invite, address) VALUES (?,?,?,?,?,?)`,
				u.Name, u.Nickname, u.PWHash, u.Created, code, how.Address)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO users(name, nickname, pwhash, created, since_id) VALUES (?,?,?,?,?)`,
				u.Name, u.Nickname, u.PWHash, u.Created, u.SinceID)
		}
		if isUnique(err) {
			return fmt.Errorf("user %s: %w", u.Name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("register %s: %w", u.Name, err)
		}
		return nil
	})
}

// useInvite counts one use of code at time at (unix ms) inside tx.
func useInvite(ctx context.Context, tx *sql.Tx, code string, at int64) error {
	// The condition and the increment are one statement: a use past the
	// last one never gets through, whatever runs in parallel.
	res, err := tx.ExecContext(ctx, `UPDATE signup_codes SET used = used + 1 WHERE code=? AND used < uses AND (expires = 0 OR expires > ?)`, code, at)
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var uses, used int
	err = tx.QueryRowContext(ctx, `SELECT uses, used FROM signup_codes WHERE code=?`, code).Scan(&uses, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrInviteUnknown
	case err != nil:
		return fmt.Errorf("invite: %w", err)
	}
	return InviteRefusal(uses, used)
}

// PendingUsers lists accounts waiting for approval, oldest first.
func (s *SQLite) PendingUsers(ctx context.Context) ([]PendingUser, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, nickname, pwhash, created, invite, address FROM pending_users ORDER BY created, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PendingUser
	for rows.Next() {
		var p PendingUser
		if err := rows.Scan(&p.Name, &p.Nickname, &p.PWHash, &p.Created, &p.Invite, &p.Address); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// GetPendingUser returns one account waiting for approval (ErrNotFound).
func (s *SQLite) GetPendingUser(ctx context.Context, name string) (PendingUser, error) {
	var p PendingUser
	err := s.db.QueryRowContext(ctx, `SELECT name, nickname, pwhash, created, invite, address FROM pending_users WHERE name=?`, name).
		Scan(&p.Name, &p.Nickname, &p.PWHash, &p.Created, &p.Invite, &p.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("pending account %s: %w", name, ErrNotFound)
	}
	return p, err
}

// ApproveUser turns a pending account into an account; its history starts now.
func (s *SQLite) ApproveUser(ctx context.Context, name string) error {
	since, err := s.MessageWatermark(ctx)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users(name, nickname, pwhash, created, since_id)
			SELECT name, nickname, pwhash, ?, ? FROM pending_users WHERE name=?`, now(), since, name)
		if isUnique(err) {
			return fmt.Errorf("user %s: %w (an admin added it meanwhile; reject the pending one)", name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("approve %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("pending account %s: %w", name, ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM pending_users WHERE name=?`, name)
		return err
	})
}

// RejectUser deletes a pending account and gives back its invite use.
func (s *SQLite) RejectUser(ctx context.Context, name string) error {
	n, err := s.dropPending(ctx, `name=?`, name)
	if err != nil {
		return fmt.Errorf("reject %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("pending account %s: %w", name, ErrNotFound)
	}
	return nil
}

// ExpirePending rejects the pending accounts created before (unix ms).
func (s *SQLite) ExpirePending(ctx context.Context, before int64) (int, error) {
	n, err := s.dropPending(ctx, `created < ?`, before)
	if err != nil {
		return 0, fmt.Errorf("expire pending accounts: %w", err)
	}
	return n, nil
}

// dropPending deletes the pending accounts where holds for arg, and gives
// each one's invite use back in the same transaction.
func (s *SQLite) dropPending(ctx context.Context, where string, arg any) (n int, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT invite FROM pending_users WHERE `+where, arg)
		if err != nil {
			return err
		}
		var codes []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			codes = append(codes, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_users WHERE `+where, arg); err != nil {
			return err
		}
		for _, c := range codes {
			if c == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE signup_codes SET used = used - 1 WHERE code=? AND used > 0`, c); err != nil {
				return err
			}
		}
		n = len(codes)
		return nil
	})
	return n, err
}
