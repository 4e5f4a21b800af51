package chatui

import (
	"errors"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// registerForm is what the login dialog's register mode shows for a
// server: the invite field, and a note on how the server registers people.
type registerForm struct {
	invite bool
	note   i18n.Key // "" for none
}

// registerView decides the form from the server's answer to
// GET /api/v1/server (nil: not known, e.g. an older server) and the last
// registration's error: a server that refused for want of an invite gets
// the field even when it could not say so beforehand.
func registerView(info *chat.ServerInfo, lastErr error) registerForm {
	var f registerForm
	if info != nil {
		switch {
		case info.Registration == "closed":
			f.note = i18n.ChatErrRegOff
		case info.InviteRequired:
			f.invite, f.note = true, i18n.ChatInviteNote
		case info.Approval:
			f.note = i18n.ChatApprovalNote
		}
	}
	for _, k := range []error{chat.ErrInviteNeeded, chat.ErrInviteInvalid, chat.ErrInviteExpired, chat.ErrInviteUsedUp} {
		if errors.Is(lastErr, k) {
			f.invite = true
		}
	}
	return f
}
