package store

import (
	"context"
	"fmt"
	"time"
)

// Store is what the broker keeps in a database, whichever one: SQLite
// (Open, the default) or PostgreSQL (package postgres, for a cluster of
// brokers). Both pass the same conformance suite (package storetest).
type Store interface {
	Accounts
	Relations
	History
	Signups
	// Generation changes whenever accounts, passwords or rooms change,
	// whoever changed them; the broker polls it to reload its directory.
	// A store several brokers share counts relations and nicknames too.
	Generation(ctx context.Context) (int64, error)
	// TokenKey returns the key that signs resume tokens, made on first
	// use; every broker on one store gets the same key, so a token one
	// node issued logs in on any other.
	TokenKey(ctx context.Context) ([]byte, error)
	// RevokeToken records a resume token's id (a digest, never the token)
	// as revoked until expires (unix s), when it would die anyway; it
	// forgets revocations already past. TokenRevoked reports one.
	RevokeToken(ctx context.Context, id string, expires int64) error
	TokenRevoked(ctx context.Context, id string) (bool, error)
	// CheckWritable proves the database takes writes now.
	CheckWritable(ctx context.Context) error
	// Close flushes pending messages and closes the database.
	Close() error
}

// Accounts are users and rooms. Names compare byte for byte (case and
// Unicode form matter); lists come ordered by name, byte order.
type Accounts interface {
	// CreateUser adds an account; ErrExists when the name is taken.
	CreateUser(ctx context.Context, u User) error
	// CreateUsers adds many accounts in one transaction: all or none.
	CreateUsers(ctx context.Context, us []User) error
	// GetUser returns one account, or ErrNotFound.
	GetUser(ctx context.Context, name string) (User, error)
	Users(ctx context.Context) ([]User, error)
	// SetPassword, SetNickname, SetLastSeen and DeleteUser return
	// ErrNotFound for a missing user.
	SetPassword(ctx context.Context, name, hash string) error
	SetNickname(ctx context.Context, name, nick string) error
	SetLastSeen(ctx context.Context, name string, ts int64) error
	// DeleteUser removes an account with its memberships, friendships,
	// invites and requests; its messages stay in history.
	DeleteUser(ctx context.Context, name string) error
	// CreateRoom adds a room (ErrExists when taken); its owner, if any,
	// becomes its first member in the same transaction.
	CreateRoom(ctx context.Context, r Room) error
	// DeleteRoom removes a room with its memberships (ErrNotFound).
	DeleteRoom(ctx context.Context, name string) error
	Rooms(ctx context.Context) ([]Room, error)
}

// Signups are registration invite codes and accounts waiting for an
// admin's approval (registration.mode and registration.approval).
type Signups interface {
	// CreateInvite makes a random code good for uses registrations until
	// expires (zero: never).
	CreateInvite(ctx context.Context, uses int, expires time.Time) (Invite, error)
	// SignupInvites lists the codes, newest first.
	SignupInvites(ctx context.Context) ([]Invite, error)
	// RevokeInvite deletes a code (any case, dashes or not); ErrNotFound.
	RevokeInvite(ctx context.Context, code string) error
	// Register creates u, or a pending account, and uses up one use of
	// how.Invite in the same transaction: of parallel registrations with a
	// code's last use exactly one succeeds, and one refused for a taken
	// name (an account's or a pending one's: ErrExists) uses nothing.
	// Invite refusals are ErrInviteUnknown, ErrInviteExpired, ErrInviteUsedUp,
	// and come before ErrExists: a bad code says nothing about the name.
	Register(ctx context.Context, u User, how Signup) error
	// PendingUsers lists accounts waiting for approval, oldest first.
	PendingUsers(ctx context.Context) ([]PendingUser, error)
	// GetPendingUser returns one, or ErrNotFound.
	GetPendingUser(ctx context.Context, name string) (PendingUser, error)
	// ApproveUser turns a pending account into an account (its history
	// starts now; Generation changes); ErrNotFound, or ErrExists when an
	// admin created the name meanwhile.
	ApproveUser(ctx context.Context, name string) error
	// RejectUser deletes a pending account and gives back the invite use
	// it took; ErrNotFound.
	RejectUser(ctx context.Context, name string) error
	// ExpirePending rejects the pending accounts created before (unix ms),
	// giving their invite uses back, and reports how many there were.
	ExpirePending(ctx context.Context, before int64) (int, error)
}

// Relations are memberships, room invites, friendships and friend
// requests. Adding what exists or removing what does not is no error.
type Relations interface {
	// Members lists (room, user); lobby membership is implicit.
	Members(ctx context.Context) ([]Pair, error)
	// Invites lists (room, user) pending room invitations.
	Invites(ctx context.Context) ([]Pair, error)
	// Friends lists each friendship once, A < B.
	Friends(ctx context.Context) ([]Pair, error)
	// FriendRequests lists (from, to).
	FriendRequests(ctx context.Context) ([]Pair, error)
	// Join adds user to room and drops their invite, in one transaction.
	Join(ctx context.Context, room, user string) error
	Leave(ctx context.Context, room, user string) error
	Invite(ctx context.Context, room, user, inviter string) error
	// RequestFriend records src's request to dst, or, when dst had asked
	// src, makes them friends; the check and the write are one step, so
	// two requests crossed from two brokers at once end as friends.
	RequestFriend(ctx context.Context, src, dst string) (Asked, error)
	DropFriendRequest(ctx context.Context, src, dst string) error
	// MakeFriends records a friendship and clears requests both ways, in
	// one transaction.
	MakeFriends(ctx context.Context, x, y string) error
	Unfriend(ctx context.Context, x, y string) error
}

// History is the message log. Ids grow with every message across all
// conversations, so they order each conversation's history.
type History interface {
	// MessageWatermark is the id of the newest message so far: an account
	// or room created now reads only messages after it (User.SinceID).
	MessageWatermark(ctx context.Context) (int64, error)
	// NextMessageID reserves the id of a message about to be appended,
	// so that it can be delivered stamped before its commit.
	NextMessageID(ctx context.Context) (int64, error)
	// AppendMessage hands m over and returns at once; Commit.Wait returns
	// once it is committed. A message whose id or (sender, cid) is already
	// stored is ignored.
	AppendMessage(m Message) (Commit, error)
	// AppendMessageThen is AppendMessage with then called from the log's
	// goroutine with the outcome (it must not block).
	AppendMessageThen(m Message, then func(error)) error
	// ObserveCommits has fn called after each commit (must not block).
	ObserveCommits(fn func(n int, took time.Duration, err error))
	// HistoryBacklog is the number of messages waiting for their commit.
	HistoryBacklog() int
	// History returns up to limit messages of conv with id < before
	// (before <= 0: the newest), newest first, including every message
	// appended before the call.
	History(ctx context.Context, conv string, before int64, limit int) ([]Message, error)
	// HistorySince is History limited to ids above since.
	HistorySince(ctx context.Context, conv string, before, since int64, limit int) ([]Message, error)
	// EachCID calls each with every cid of sender's stored messages until
	// it returns false.
	EachCID(ctx context.Context, sender string, each func(cid string) bool) error
	// FindByCID returns the id of sender's stored message with cid, or 0.
	FindByCID(ctx context.Context, sender, cid string) (int64, error)
}

// Asked is what RequestFriend did.
type Asked int

const (
	Requested        Asked = iota + 1 // a new pending request
	AlreadyRequested                  // that request was pending: nothing changed
	Befriended                        // dst had asked src: friends now, no request left
	AlreadyFriends                    // nothing changed
)

func (a Asked) String() string {
	switch a {
	case Requested:
		return "requested"
	case AlreadyRequested:
		return "already requested"
	case Befriended:
		return "befriended"
	case AlreadyFriends:
		return "already friends"
	}
	return fmt.Sprintf("Asked(%d)", int(a))
}

// Ask decides a friend request from what is stored: whether they are
// friends, whether dst asked src, whether src asked dst already.
func Ask(friends, back, again bool) Asked {
	switch {
	case friends:
		return AlreadyFriends
	case back:
		return Befriended
	case again:
		return AlreadyRequested
	}
	return Requested
}

var _ Store = (*SQLite)(nil)
