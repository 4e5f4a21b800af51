package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// CreateInvite makes a random code good for uses registrations until expires.
func (s *Store) CreateInvite(ctx context.Context, uses int, expires time.Time) (store.Invite, error) {
	if uses < 1 {
		return store.Invite{}, fmt.Errorf("invite: uses must be >= 1, not %d", uses)
	}
	inv := store.Invite{Uses: uses, Created: now()}
	if !expires.IsZero() {
		inv.Expires = expires.UnixMilli()
	}
	for range 3 { // a collision of 80 random bits means a broken generator; retry a little anyway
		code, err := store.NewInviteCode()
		if err != nil {
			return store.Invite{}, err
		}
		inv.Code = code
		_, err = s.exec(ctx, "create invite", `INSERT INTO signup_codes(code, uses, created, expires) VALUES ($1,$2,$3,$4)`,
			inv.Code, inv.Uses, inv.Created, inv.Expires)
		if isUnique(err) {
			continue
		}
		if err != nil {
			return store.Invite{}, err
		}
		return inv, nil
	}
	return store.Invite{}, errors.New("create invite: random codes keep colliding")
}

// SignupInvites lists the codes, newest first.
func (s *Store) SignupInvites(ctx context.Context) ([]store.Invite, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `SELECT code, uses, used, created, expires FROM signup_codes ORDER BY created DESC, code`)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Invite, error) {
		var i store.Invite
		err := r.Scan(&i.Code, &i.Uses, &i.Used, &i.Created, &i.Expires)
		return i, err
	})
}

// RevokeInvite deletes a code.
func (s *Store) RevokeInvite(ctx context.Context, code string) error {
	tag, err := s.exec(ctx, "revoke invite", `DELETE FROM signup_codes WHERE code=$1`, store.NormalInvite(code))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("invite %s: %w", code, store.ErrNotFound)
	}
	return nil
}

// Register creates u or a pending account, using one use of how.Invite.
func (s *Store) Register(ctx context.Context, u store.User, how store.Signup) error {
	if u.Created == 0 {
		u.Created = now()
	}
	if u.SinceID == 0 {
		var err error
		if u.SinceID, err = s.MessageWatermark(ctx); err != nil {
			return fmt.Errorf("register %s: %w", u.Name, err)
		}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		// Registrations and admins' adds of one name take turns, so that
		// the check of both tables below holds until commit.
		if err := lockNames(ctx, tx, u.Name); err != nil {
			return fmt.Errorf("register %s: %w", u.Name, err)
		}
		// The code first: without a good one, a taken name must look like
		// a free one. A use counted here is undone with the transaction
		// when the name turns out to be taken.
		code, err := how.Code()
		if err != nil {
			return err
		}
		if code != "" {
			// One statement: a concurrent use makes this one re-read the
			// row and find it used up.
			tag, err := tx.Exec(ctx, `UPDATE signup_codes SET used = used + 1 WHERE code=$1 AND used < uses AND (expires = 0 OR expires > $2)`, code, u.Created)
			if err != nil {
				return fmt.Errorf("invite: %w", err)
			}
			if tag.RowsAffected() == 0 {
				var uses, used int
				err := tx.QueryRow(ctx, `SELECT uses, used FROM signup_codes WHERE code=$1`, code).Scan(&uses, &used)
				switch {
				case errors.Is(err, pgx.ErrNoRows):
					return store.ErrInviteUnknown
				case err != nil:
					return fmt.Errorf("invite: %w", err)
				}
				return store.InviteRefusal(uses, used)
			}
		}
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE name=$1) OR EXISTS (SELECT 1 FROM pending_users WHERE name=$1)`,
			u.Name).Scan(&taken); err != nil {
			return fmt.Errorf("register %s: %w", u.Name, err)
		}
		if taken {
			return fmt.Errorf("user %s: %w", u.Name, store.ErrExists)
		}
		if how.Pending {
			_, err = tx.Exec(ctx, `INSERT INTO pending_users(name, nickname, pwhash, created, invite, address) VALUES ($1,$2,$3,$4,$5,$6)`,
				u.Name, u.Nickname, u.PWHash, u.Created, code, how.Address)
		} else {
			_, err = tx.Exec(ctx, insertUser, u.Name, u.Nickname, u.PWHash, u.Created, u.SinceID)
		}
		if isUnique(err) {
			return fmt.Errorf("user %s: %w", u.Name, store.ErrExists)
		}
		if err != nil {
			return fmt.Errorf("register %s: %w", u.Name, err)
		}
		return nil
	})
}

const pendingCols = `name, nickname, pwhash, created, invite, address`

func scanPending(row pgx.Row) (store.PendingUser, error) {
	var p store.PendingUser
	err := row.Scan(&p.Name, &p.Nickname, &p.PWHash, &p.Created, &p.Invite, &p.Address)
	return p, err
}

// PendingUsers lists accounts waiting for approval, oldest first.
func (s *Store) PendingUsers(ctx context.Context) ([]store.PendingUser, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	rows, _ := s.pool.Query(ctx, `SELECT `+pendingCols+` FROM pending_users ORDER BY created, name`)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.PendingUser, error) { return scanPending(r) })
}

// GetPendingUser returns one account waiting for approval.
func (s *Store) GetPendingUser(ctx context.Context, name string) (store.PendingUser, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	p, err := scanPending(s.pool.QueryRow(ctx, `SELECT `+pendingCols+` FROM pending_users WHERE name=$1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("pending account %s: %w", name, store.ErrNotFound)
	}
	return p, err
}

// ApproveUser turns a pending account into an account.
func (s *Store) ApproveUser(ctx context.Context, name string) error {
	since, err := s.MessageWatermark(ctx)
	if err != nil {
		return fmt.Errorf("approve %s: %w", name, err)
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO users(name, nickname, pwhash, created, since_id)
			SELECT name, nickname, pwhash, $1, $2 FROM pending_users WHERE name=$3`, now(), since, name)
		if isUnique(err) {
			return fmt.Errorf("user %s: %w (an admin added it meanwhile; reject the pending one)", name, store.ErrExists)
		}
		if err != nil {
			return fmt.Errorf("approve %s: %w", name, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("pending account %s: %w", name, store.ErrNotFound)
		}
		_, err = tx.Exec(ctx, `DELETE FROM pending_users WHERE name=$1`, name)
		return err
	})
}

// RejectUser deletes a pending account and gives back its invite use.
func (s *Store) RejectUser(ctx context.Context, name string) error {
	n, err := s.dropPending(ctx, `name=$1`, name)
	if err != nil {
		return fmt.Errorf("reject %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("pending account %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// ExpirePending rejects the pending accounts created before (unix ms).
func (s *Store) ExpirePending(ctx context.Context, before int64) (int, error) {
	n, err := s.dropPending(ctx, `created < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("expire pending accounts: %w", err)
	}
	return n, nil
}

// dropPending deletes the pending accounts where holds for arg, and gives
// each one's invite use back in the same transaction.
func (s *Store) dropPending(ctx context.Context, where string, arg any) (n int, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM pending_users WHERE `+where+` RETURNING invite`, arg)
		if err != nil {
			return err
		}
		codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, c := range codes {
			if c == "" {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE signup_codes SET used = used - 1 WHERE code=$1 AND used > 0`, c); err != nil {
				return err
			}
		}
		n = len(codes)
		return nil
	})
	return n, err
}
