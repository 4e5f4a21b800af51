package chatui

import (
	"errors"
	"strings"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// registerForm is what the login dialog's register mode shows for a
// server: the invite field, and a note on how the server registers people.
type registerForm struct {
	invite bool
	notes  string // i18n keys, one per line ("" for none); comparable for tests
}

// registerView decides the form from the server's answer to
// GET /api/v1/server (nil: not known, e.g. an older server) and the last
// registration's error: a server that refused for want of an invite gets
// the field even when it could not say so beforehand.
func registerView(info *chat.ServerInfo, lastErr error) registerForm {
	var f registerForm
	var notes []string
	switch {
	case info == nil:
	case info.Registration == "closed":
		notes = append(notes, string(i18n.ChatErrRegOff))
	default:
		if info.InviteRequired {
			f.invite = true
			notes = append(notes, string(i18n.ChatInviteNote))
		}
		if info.Approval {
			notes = append(notes, string(i18n.ChatApprovalNote))
		}
	}
	f.notes = strings.Join(notes, "\n")
	for _, k := range []error{chat.ErrInviteNeeded, chat.ErrInviteInvalid, chat.ErrInviteExpired, chat.ErrInviteUsedUp} {
		if errors.Is(lastErr, k) {
			f.invite = true
		}
	}
	return f
}

// noteText is the form's notes in language l.
func (f registerForm) noteText(l i18n.Lang) string {
	if f.notes == "" {
		return ""
	}
	var lines []string
	for _, k := range strings.Split(f.notes, "\n") {
		lines = append(lines, l.T(i18n.Key(k)))
	}
	return strings.Join(lines, "\n")
}
