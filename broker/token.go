package broker

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// Resume tokens are the fast path for logins: argon2id costs ~20 ms of CPU
// per check by design, so 10,000 clients reconnecting after a restart would
// queue for minutes. A client that has logged in once asks for a token
// (request auth.token) and sends it as its password from then on. A token is
// an HMAC over the username, an expiry and a fingerprint of the current
// password hash, under the store's key (Store.TokenKey): it cannot be forged
// without the key, names one user only, expires, and dies with a password
// change. It reveals nothing about the password. auth.revoke ends one token
// early (a log-out): the store keeps its digest until it would expire.
const (
	tokenPrefix   = "tk1."
	tokenLifetime = 30 * 24 * time.Hour
	// revokesPerDay bounds the rows one user can add to the store's
	// revocations, each kept up to tokenLifetime.
	revokesPerDay = 20
)

var errBadToken = errors.New("invalid or expired token")

// errTokenUnchecked is a token whose revocation could not be read: the
// client should retry rather than forget it.
var errTokenUnchecked = errors.New("token not checked: the database did not answer")

// tokenMAC signs a token; nonce is empty in tokens issued before tokens
// could be revoked, which stay valid until they expire.
func (b *Broker) tokenMAC(user string, expiry int64, nonce, pwhash string) string {
	fp := sha256.Sum256([]byte(pwhash))
	m := hmac.New(sha256.New, b.tokenKey)
	fmt.Fprintf(m, "%s|%d|%x", user, expiry, fp[:16])
	if nonce != "" {
		fmt.Fprintf(m, "|%s", nonce)
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// IssueToken returns a resume token for user and its expiry.
func (b *Broker) IssueToken(user string) (string, time.Time, error) {
	u, ok := b.dir.User(user)
	if !ok {
		return "", time.Time{}, errors.New("no such user")
	}
	exp := b.now().Add(tokenLifetime).Truncate(time.Second)
	// A nonce keeps two tokens apart even when issued in one second, so
	// that revoking one (a log-out) does not kill the next login's.
	var n [9]byte
	if _, err := rand.Read(n[:]); err != nil {
		return "", time.Time{}, err
	}
	nonce := base64.RawURLEncoding.EncodeToString(n[:])
	tok := fmt.Sprintf("%s%s.%d.%s.%s", tokenPrefix, user, exp.Unix(), nonce, b.tokenMAC(user, exp.Unix(), nonce, u.PWHash))
	return tok, exp, nil
}

// checkToken verifies a resume token presented as user's password.
func (b *Broker) checkToken(user, tok string) error {
	parts := strings.Split(strings.TrimPrefix(tok, tokenPrefix), ".")
	if len(parts) == 3 { // issued without a nonce
		parts = []string{parts[0], parts[1], "", parts[2]}
	}
	if len(parts) != 4 || parts[0] != user {
		return errBadToken
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || b.now().Unix() >= exp {
		return errBadToken
	}
	u, ok := b.dir.User(user)
	if !ok {
		return errBadToken
	}
	if !hmac.Equal([]byte(parts[3]), []byte(b.tokenMAC(user, exp, parts[2], u.PWHash))) {
		return errBadToken
	}
	revoked, err := b.store.TokenRevoked(context.Background(), tokenID(tok))
	if err != nil {
		b.log.Error("token login: revocations unreadable", "user", user, "error", err)
		return errTokenUnchecked
	}
	if revoked {
		return errBadToken
	}
	return nil
}

// RevokeToken ends user's resume token tok before its expiry; it must be a
// token that would log user in now.
func (b *Broker) RevokeToken(user, tok string) error {
	if err := b.checkToken(user, tok); errors.Is(err, errBadToken) {
		return topics.Errorf(topics.CodeBadRequest, "not a token of yours that is still valid")
	} else if err != nil {
		return err
	}
	if !b.revokes.Allow(user) {
		return topics.Errorf(topics.CodeTooMany, "too many log-outs today (at most %d); try again tomorrow", revokesPerDay)
	}
	exp, _ := strconv.ParseInt(strings.Split(tok, ".")[2], 10, 64) // checked above
	return b.store.RevokeToken(context.Background(), tokenID(tok), exp)
}

// tokenID is what the store keeps of a revoked token: not the token itself.
func tokenID(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}
