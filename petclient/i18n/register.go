package i18n

// Registration on servers that ask for an invite or approve accounts
// (petclient/chatui's login dialog).
const (
	ChatInvite           Key = "chat.login.invite"
	ChatInviteNote       Key = "chat.register.invitenote"
	ChatApprovalNote     Key = "chat.register.approvalnote"
	ChatRegPending       Key = "chat.register.pending"
	ChatErrPending       Key = "chat.err.pending"
	ChatErrInviteNeeded  Key = "chat.err.inviteneeded"
	ChatErrInviteInvalid Key = "chat.err.invitebad"
	ChatErrInviteExpired Key = "chat.err.inviteexpired"
	ChatErrInviteUsedUp  Key = "chat.err.inviteusedup"
)

func init() {
	for k, v := range map[Key]string{
		ChatInvite:           "Invite code",
		ChatInviteNote:       "This server needs an invite code from its admin to register.",
		ChatApprovalNote:     "New accounts on this server wait for the admin's approval.",
		ChatRegPending:       "Account %s created. It is waiting for the server admin's approval; log in once it is approved.",
		ChatErrPending:       "Your account is waiting for the server admin's approval; try again once it is approved.",
		ChatErrInviteNeeded:  "This server needs an invite code to register; ask its admin for one.",
		ChatErrInviteInvalid: "That invite code is not valid here (mistyped, or revoked).",
		ChatErrInviteExpired: "That invite code has expired; ask the server's admin for a new one.",
		ChatErrInviteUsedUp:  "That invite code has been used up; ask the server's admin for a new one.",
	} {
		catalogues[English][k] = v
	}
	for k, v := range map[Key]string{
		ChatInvite:           "邀请码",
		ChatInviteNote:       "该服务器需要管理员发的邀请码才能注册。",
		ChatApprovalNote:     "该服务器的新账号需要管理员审核。",
		ChatRegPending:       "账号 %s 已创建，正在等待服务器管理员审核，通过后即可登录。",
		ChatErrPending:       "你的账号正在等待服务器管理员审核，通过后再登录。",
		ChatErrInviteNeeded:  "该服务器注册需要邀请码，请向管理员索取。",
		ChatErrInviteInvalid: "邀请码无效（输错了，或已被撤销）。",
		ChatErrInviteExpired: "邀请码已过期，请向服务器管理员索取新的。",
		ChatErrInviteUsedUp:  "邀请码已用完，请向服务器管理员索取新的。",
	} {
		catalogues[Chinese][k] = v
	}
}
