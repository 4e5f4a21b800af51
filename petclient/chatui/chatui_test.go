package chatui

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
)

// Each failure the login dialog can meet gets its own words, in both
// languages, and keeps the server's reason where there is one.
func TestErrorText(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&chat.Error{Kind: chat.ErrAuth, Msg: "bad user name or password"}, "Wrong username or password."},
		{&chat.Error{Kind: chat.ErrNameTaken, Msg: "username bob is taken"}, "That username is taken"},
		{&chat.Error{Kind: chat.ErrInvalid, Msg: "password too weak: use at least 8 characters (got 5)"}, "password too weak: use at least 8 characters (got 5)"},
		{&chat.Error{Kind: chat.ErrUnreachable, Msg: "connection refused"}, "Cannot reach the server"},
		{&chat.Error{Kind: chat.ErrTLS, Msg: "certificate signed by unknown authority"}, "certificate signed by unknown authority"},
		{&chat.Error{Kind: chat.ErrBadURL, Msg: "http://x: unsupported scheme"}, "Not a server address"},
		{&chat.Error{Kind: chat.ErrTooMany}, "Too many attempts"},
		{&chat.Error{Kind: chat.ErrRegistrationOff}, "does not accept new accounts"},
		{&chat.Error{Kind: chat.ErrPending}, "waiting for the server admin's approval"},
		{&chat.Error{Kind: chat.ErrInviteNeeded}, "needs an invite code"},
		{&chat.Error{Kind: chat.ErrInviteInvalid}, "not valid here"},
		{&chat.Error{Kind: chat.ErrInviteExpired}, "expired"},
		{&chat.Error{Kind: chat.ErrInviteUsedUp}, "used up"},
		{errors.New("boom"), "Could not connect: boom"},
	}
	for _, c := range cases {
		if got := errorText(i18n.English, c.err); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q does not contain %q", c.err, got, c.want)
		}
		if zh := errorText(i18n.Chinese, c.err); zh == errorText(i18n.English, c.err) {
			t.Errorf("%v: no Chinese wording", c.err)
		}
	}
}

func TestClientIDStable(t *testing.T) {
	dir := t.TempDir()
	a := loadClientID(dir, nil)
	b := loadClientID(dir, nil)
	if a == "" || a != b {
		t.Fatalf("client id changed: %q then %q", a, b)
	}
}

// The chat keeps its state in $XDG_STATE_HOME/tachikoma/chat; without a
// home it keeps nothing on disk and logs why.
func TestStateDir(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	t.Setenv("XDG_STATE_HOME", "/state")
	if d := stateDir(log); d != "/state/tachikoma/chat" {
		t.Errorf("stateDir = %q", d)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	if d := stateDir(log); d != "" || !strings.Contains(logged.String(), "$XDG_STATE_HOME") {
		t.Errorf("no home: stateDir = %q, logged %q", d, logged.String())
	}
}

// "/remind 20m tea" in the chat window runs the command; anything else,
// including an unknown /word, is a message to send.
func TestChatCommands(t *testing.T) {
	var c Controller
	var got string
	c.AddCommand("remind", func(args string) string { got = args; return "ok" })
	if reply, ok := c.runCommand("/remind  20分钟 喝水 "); !ok || reply != "ok" || got != "20分钟 喝水" {
		t.Fatalf("/remind: %q %v, args %q", reply, ok, got)
	}
	for _, text := range []string{"remind 20m tea", "/reminder 20m", "/ip", "hello /remind"} {
		if _, ok := c.runCommand(text); ok {
			t.Errorf("%q taken as a command", text)
		}
	}
}

// The register form shows the invite field when the server says it needs
// one, or when a registration was refused for an invite (an older server
// that could not say so beforehand), and notes closed and approving servers.
func TestRegisterView(t *testing.T) {
	invite := &chat.ServerInfo{Registration: "invite", InviteRequired: true}
	cases := []struct {
		name    string
		info    *chat.ServerInfo
		lastErr error
		want    registerForm
	}{
		{"unknown server", nil, nil, registerForm{}},
		{"open", &chat.ServerInfo{Registration: "open"}, nil, registerForm{}},
		{"invite", invite, nil, registerForm{invite: true, notes: string(i18n.ChatInviteNote)}},
		{"approval", &chat.ServerInfo{Registration: "open", Approval: true}, nil, registerForm{notes: string(i18n.ChatApprovalNote)}},
		{"invite and approval", &chat.ServerInfo{Registration: "invite", InviteRequired: true, Approval: true}, nil,
			registerForm{invite: true, notes: string(i18n.ChatInviteNote) + "\n" + string(i18n.ChatApprovalNote)}},
		{"closed", &chat.ServerInfo{Registration: "closed"}, nil, registerForm{notes: string(i18n.ChatErrRegOff)}},
		{"refused for an invite", nil, &chat.Error{Kind: chat.ErrInviteNeeded}, registerForm{invite: true}},
		{"invite used up", &chat.ServerInfo{Registration: "open"}, &chat.Error{Kind: chat.ErrInviteUsedUp}, registerForm{invite: true}},
		{"name taken", nil, &chat.Error{Kind: chat.ErrNameTaken}, registerForm{}},
	}
	for _, c := range cases {
		if got := registerView(c.info, c.lastErr); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	both := registerView(&chat.ServerInfo{Registration: "invite", InviteRequired: true, Approval: true}, nil)
	if got := both.noteText(i18n.Chinese); got != "该服务器需要管理员发的邀请码才能注册。\n该服务器的新账号需要管理员审核。" {
		t.Errorf("Chinese notes: %q", got)
	}
	if l := i18n.English; l.T(i18n.ChatInvite) != "Invite code" || !strings.Contains(both.noteText(l), "approval") {
		t.Errorf("English wording: %q %q", l.T(i18n.ChatInvite), both.noteText(l))
	}
}

// The open conversation closes when a change to it removed it (a room left
// on another device), and only then.
func TestGoneElsewhere(t *testing.T) {
	listed := map[string]bool{"room:lobby": true, "room:study": true}
	lookup := func(id string) (chat.Conversation, bool) { return chat.Conversation{ID: id}, listed[id] }
	cases := []struct {
		open, changed string
		want          bool
	}{
		{"room:den", "room:den", true},      // left elsewhere
		{"room:study", "room:study", false}, // joined elsewhere, or its title changed
		{"room:den", "room:study", false},   // another conversation changed
		{"room:den", "", true},              // dropped by a list sync
		{"room:study", "", false},           // kept by a list sync
		{"", "room:den", false},             // nothing open
	}
	for _, c := range cases {
		if got := goneElsewhere(c.open, c.changed, lookup); got != c.want {
			t.Errorf("open %q, changed %q: %v, want %v", c.open, c.changed, got, c.want)
		}
	}
}
