package broker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Resume tokens are the fast path for logins: argon2id costs ~20 ms of CPU
// per check by design, so 10,000 clients reconnecting after a restart would
// queue for minutes. A client that has logged in once asks for a token
// (request auth.token) and sends it as its password from then on. A token is
// an HMAC over the username, an expiry and a fingerprint of the current
// password hash, under the store's key (Store.TokenKey): it cannot be forged
// without the key, names one user only, expires, and dies with a password
// change. It reveals nothing about the password.
const (
	tokenPrefix   = "tk1."
	tokenLifetime = 30 * 24 * time.Hour
)

var errBadToken = errors.New("invalid or expired token")

func (b *Broker) tokenMAC(user string, expiry int64, pwhash string) string {
	fp := sha256.Sum256([]byte(pwhash))
	m := hmac.New(sha256.New, b.tokenKey)
	fmt.Fprintf(m, "%s|%d|%x", user, expiry, fp[:16])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// IssueToken returns a resume token for user and its expiry.
func (b *Broker) IssueToken(user string) (string, time.Time, error) {
	u, ok := b.dir.User(user)
	if !ok {
		return "", time.Time{}, errors.New("no such user")
	}
	exp := b.now().Add(tokenLifetime).Truncate(time.Second)
	tok := fmt.Sprintf("%s%s.%d.%s", tokenPrefix, user, exp.Unix(), b.tokenMAC(user, exp.Unix(), u.PWHash))
	return tok, exp, nil
}

// checkToken verifies a resume token presented as user's password.
func (b *Broker) checkToken(user, tok string) error {
	parts := strings.Split(strings.TrimPrefix(tok, tokenPrefix), ".")
	if len(parts) != 3 || parts[0] != user {
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
	if !hmac.Equal([]byte(parts[2]), []byte(b.tokenMAC(user, exp, u.PWHash))) {
		return errBadToken
	}
	return nil
}
