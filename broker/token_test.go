package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/topics"
)

func TestResumeTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cost := password.Params{Memory: 64, Time: 1, Threads: 1}
	b, err := New(cfg, Options{Now: func() time.Time { return now }, PasswordCost: &cost})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if err := b.Register(ctx, u, u+"-password", ""); err != nil {
			t.Fatal(err)
		}
	}
	tok, exp, err := b.IssueToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tok, "alice-password") || exp.Sub(now) != tokenLifetime {
		t.Fatalf("token %q expires %v", tok, exp)
	}
	if err := b.checkPassword("alice", tok); err != nil {
		t.Fatalf("fresh token refused: %v", err)
	}
	if err := b.checkPassword("bob", tok); err == nil {
		t.Fatal("alice's token logs in bob")
	}
	bobTok, _, err := b.IssueToken("bob")
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(bobTok, "tk1.bob.", "tk1.alice.", 1)
	for _, bad := range []string{forged, tok[:len(tok)-2] + "xx", tok + ".x", "tk1.alice", "tk1.alice.abc.def",
		strings.Replace(tok, ".", ".9", 2)} {
		if err := b.checkPassword("alice", bad); err == nil {
			t.Errorf("tampered token %q accepted", bad)
		}
	}
	// A token from another broker's key is worthless here.
	cfg2 := cfg
	cfg2.DataDir = t.TempDir()
	b2, err := New(cfg2, Options{Now: func() time.Time { return now }, PasswordCost: &cost})
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Register(ctx, "alice", "alice-password", ""); err != nil {
		t.Fatal(err)
	}
	otherTok, _, err := b2.IssueToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	b2.Close()
	if err := b.checkPassword("alice", otherTok); err == nil {
		t.Fatal("token signed with another key accepted")
	}
	// Revoking one token leaves another, issued in the same second, valid.
	later, _, err := b.IssueToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	if later == tok {
		t.Fatal("tokens issued in one second are equal")
	}
	// A token from before nonces (tk1.user.expiry.mac) still logs in.
	u, _ := b.dir.User("alice")
	legacy := fmt.Sprintf("tk1.alice.%d.%s", exp.Unix(), b.tokenMAC("alice", exp.Unix(), "", u.PWHash))
	if err := b.checkPassword("alice", legacy); err != nil {
		t.Fatalf("token without a nonce refused: %v", err)
	}
	if err := b.RevokeToken("alice", later); err != nil {
		t.Fatal(err)
	}
	if err := b.checkPassword("alice", later); err == nil {
		t.Fatal("revoked token accepted")
	}
	if err := b.checkPassword("alice", tok); err != nil {
		t.Fatalf("revoking one token ended another: %v", err)
	}
	// Each revocation is a row kept for a month: a day's are bounded.
	for i := 1; ; i++ {
		extra, _, err := b.IssueToken("alice")
		if err != nil {
			t.Fatal(err)
		}
		err = b.RevokeToken("alice", extra)
		if i < revokesPerDay {
			if err != nil {
				t.Fatalf("revocation %d of a day refused: %v", i+1, err)
			}
			continue
		}
		var te *topics.Error
		if !errors.As(err, &te) || te.Code != topics.CodeTooMany {
			t.Fatalf("revocation %d of a day: %v, want 429", i+1, err)
		}
		if err := b.checkPassword("alice", extra); err != nil {
			t.Fatalf("a refused revocation ended the token: %v", err)
		}
		break
	}
	// Expiry.
	now = exp.Add(-time.Second)
	if err := b.checkPassword("alice", tok); err != nil {
		t.Fatalf("token refused before expiry: %v", err)
	}
	now = exp
	if err := b.checkPassword("alice", tok); err == nil {
		t.Fatal("expired token accepted")
	}
	// A password change kills every token issued before it.
	now = exp.Add(-time.Hour)
	hash, err := password.Hash("new-password", cost)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.SetPassword(ctx, "alice", hash); err != nil {
		t.Fatal(err)
	}
	if _, err := b.dir.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.checkPassword("alice", tok); err == nil {
		t.Fatal("token survived a password change")
	}
	// The key persists across restarts: tokens stay valid.
	tok2, _, err := b.IssueToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	b3, err := New(cfg, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer b3.Close()
	if err := b3.checkPassword("alice", tok2); err != nil {
		t.Fatalf("token refused after restart: %v", err)
	}
}
