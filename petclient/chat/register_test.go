package chat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// A server in invite mode with approval: the client learns it beforehand,
// each refusal has its own kind with the server's words, and a pending
// account is told apart at registration and at login.
func TestRegisterWithInviteAndApproval(t *testing.T) {
	bcfg := brokerConfig(t.TempDir())
	bcfg.ServerName = "宿舍"
	bcfg.Registration.Mode, bcfg.Registration.Approval = broker.RegistrationInvite, true
	b := startBroker(t, bcfg)
	st, err := store.Open(bcfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	inv, _ := st.CreateInvite(ctx, 1, time.Time{})
	old, _ := st.CreateInvite(ctx, 1, time.Now().Add(-time.Hour))

	cfg := clientConfig(b, "hana", "")
	cfg.RegisterURL = "http://" + b.HTTPAddr()
	info, err := FetchServerInfo(ctx, cfg)
	if err != nil || info.Name != "宿舍" || !info.InviteRequired || !info.Approval || info.MQTT != "mqtt://"+b.MQTTAddr() {
		t.Fatalf("server info: %+v %v", info, err)
	}
	for _, c := range []struct {
		invite string
		want   error
	}{{"", ErrInviteNeeded}, {"nope-nope", ErrInviteInvalid}, {store.FormatInvite(old.Code), ErrInviteExpired}} {
		_, err := RegisterWith(ctx, cfg, Signup{Invite: c.invite})
		var ce *Error
		if !errors.Is(err, c.want) || !errors.As(err, &ce) || !strings.Contains(ce.Msg, "invite code") {
			t.Errorf("invite %q: %v, want %v with the server's reason", c.invite, err, c.want)
		}
	}
	reg, err := RegisterWith(ctx, cfg, Signup{Nickname: "花", Invite: " " + strings.ToLower(inv.Code) + " "})
	if err != nil || !reg.Pending || !strings.Contains(reg.Message, "approval") {
		t.Fatalf("register: %+v %v", reg, err)
	}
	cfg2 := cfg
	cfg2.User = "ivan"
	if _, err := RegisterWith(ctx, cfg2, Signup{Invite: inv.Code}); !errors.Is(err, ErrInviteUsedUp) {
		t.Fatalf("second use of a 1-use code: %v", err)
	}
	c, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	if err := c.Connect(cctx); !errors.Is(err, ErrPending) {
		t.Fatalf("login of a pending account: %v, want ErrPending", err)
	}
}

// An older server without GET /api/v1/server is told apart from a broken one.
func TestFetchServerInfoUnreachable(t *testing.T) {
	if _, err := FetchServerInfo(context.Background(), Config{Server: "mqtt://127.0.0.1:1", RegisterURL: "http://127.0.0.1:1"}); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("nobody listening: %v", err)
	}
}
