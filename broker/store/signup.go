package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// signupSchema holds registration invite codes and accounts waiting for an
// admin's approval (registration.approval); room invitations are "invites".
const signupSchema = `
CREATE TABLE IF NOT EXISTS signup_codes (
	code    TEXT PRIMARY KEY,  -- normalised: upper case, no dashes
	uses    INTEGER NOT NULL,  -- registrations it allows
	used    INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL DEFAULT 0 -- unix ms, 0 = never
);
CREATE TABLE IF NOT EXISTS pending_users (
	name     TEXT PRIMARY KEY,
	nickname TEXT NOT NULL,
	pwhash   TEXT NOT NULL,
	created  INTEGER NOT NULL,
	invite   TEXT NOT NULL DEFAULT '',
	address  TEXT NOT NULL DEFAULT ''
);
`

// Reasons a registration's invite code is refused (errors.Is); the error
// text is meant for the person registering.
var (
	ErrInviteNeeded  = errors.New("this server needs an invite code to register; ask its admin for one")
	ErrInviteUnknown = errors.New("this invite code is not valid on this server (mistyped, or revoked)")
	ErrInviteExpired = errors.New("this invite code has expired; ask the server's admin for a new one")
	ErrInviteUsedUp  = errors.New("this invite code has been used up; ask the server's admin for a new one")
)

// inviteAlphabet has 32 letters and digits without 0/O and 1/I, which are
// easily mistyped from a chat message or a screenshot.
const inviteAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// inviteLen random characters carry 80 bits: unguessable behind the
// registration rate limits.
const inviteLen = 16

// Invite is a registration invite code.
type Invite struct {
	Code    string // normalised (see NormalInvite); FormatInvite shows it grouped
	Uses    int    // registrations allowed
	Used    int    // registrations made with it
	Created int64  // unix ms
	Expires int64  // unix ms, 0 = never
}

// NormalInvite is code as stored: upper case, without spaces, dashes or
// invisible characters, so that "abcd-efgh" typed by hand, a code pasted
// from a chat with its line break, or one typed in a Chinese input
// method's full-width mode ("ＡＢＣＤ－ＥＦＧＨ") matches.
func NormalInvite(code string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width forms of ASCII
			r -= 0xFEE0
		}
		switch {
		case unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || unicode.Is(unicode.Cf, r) || r == '−':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// FormatInvite groups a normalised code in fours for reading out.
func FormatInvite(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// NewInviteCode is a random code of inviteLen characters.
func NewInviteCode() (string, error) {
	buf := make([]byte, inviteLen)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("invite: %w", err)
	}
	for i, c := range buf {
		buf[i] = inviteAlphabet[int(c)%len(inviteAlphabet)] // 256 is a multiple of 32: no bias
	}
	return string(buf), nil
}

// InviteRefusal explains why a code that exists was not usable:
// ErrInviteUsedUp, else ErrInviteExpired.
func InviteRefusal(uses, used int) error {
	if used >= uses {
		return ErrInviteUsedUp
	}
	return ErrInviteExpired
}

// Signup is how an account is registered.
type Signup struct {
	Invite  string // a code to use up, or "" for none
	Pending bool   // wait in pending_users for an admin's approval
	Address string // where the registration came from (shown to the admin)
}

// Code is the invite code to use up, normalised: "" for none, and
// ErrInviteUnknown for one that has nothing but separators (which must
// not pass for "no invite").
func (h Signup) Code() (string, error) {
	code := NormalInvite(h.Invite)
	if code == "" && h.Invite != "" {
		return "", ErrInviteUnknown
	}
	return code, nil
}

// PendingUser is an account waiting for an admin's approval.
type PendingUser struct {
	User
	Invite  string // the code it registered with, if any
	Address string
}
