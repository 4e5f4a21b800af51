package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/store"
)

func init() { cases = append(cases, signupCases...) }

var signupCases = []struct {
	name string
	run  func(e *env)
}{
	// Of many registrations racing for a code's last use, exactly one gets it;
	// the others are told it is used up and leave no account behind.
	{"invite's last use goes to one registration", func(e *env) {
		s, ctx, t := e.s, e.ctx, e.t
		inv, err := s.CreateInvite(ctx, 1, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = s.Register(ctx, store.User{Name: fmt.Sprintf("u%d", i), Nickname: "n", PWHash: "h"}, store.Signup{Invite: inv.Code})
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrInviteUsedUp):
				t.Errorf("loser: %v, want used up", err)
			}
		}
		users, _ := s.Users(ctx)
		if ok != 1 || len(users) != 1 {
			t.Fatalf("%d registrations succeeded and %d accounts exist with a 1-use code", ok, len(users))
		}
		invs, _ := s.SignupInvites(ctx)
		if len(invs) != 1 || invs[0].Used != 1 {
			t.Fatalf("invite after the race: %+v", invs)
		}
	}},

	{"invite refusals", func(e *env) {
		s, ctx, t := e.s, e.ctx, e.t
		two, _ := s.CreateInvite(ctx, 2, time.Now().Add(time.Hour))
		old, _ := s.CreateInvite(ctx, 5, time.Now().Add(-time.Minute))
		reg := func(name, code string) error {
			return s.Register(ctx, store.User{Name: name, Nickname: name, PWHash: "h"}, store.Signup{Invite: code})
		}
		// Typed by hand: lower case, grouped with dashes.
		if err := reg("ann", store.FormatInvite(two.Code)); err != nil {
			t.Fatal(err)
		}
		if err := reg("ann", two.Code); !errors.Is(err, store.ErrExists) {
			t.Fatalf("taken name: %v", err)
		}
		// A bad code is refused before the name is looked at, so that
		// outsiders cannot list an invite-only server's accounts.
		if err := reg("ann", "NOPE-NOPE"); !errors.Is(err, store.ErrInviteUnknown) {
			t.Fatalf("taken name with a wrong code: %v, want %v", err, store.ErrInviteUnknown)
		}
		lower := []byte(two.Code)
		for i, c := range lower {
			if c >= 'A' && c <= 'Z' {
				lower[i] = c + 'a' - 'A'
			}
		}
		if err := reg("bob", string(lower)); err != nil {
			t.Fatalf("second use, typed in lower case: %v", err)
		}
		for _, c := range []struct {
			code string
			want error
		}{{two.Code, store.ErrInviteUsedUp}, {old.Code, store.ErrInviteExpired}, {"NOPE-NOPE", store.ErrInviteUnknown}} {
			if err := reg("cat", c.code); !errors.Is(err, c.want) {
				t.Errorf("code %s: %v, want %v", c.code, err, c.want)
			}
		}
		// A code that normalises to nothing is no code: it must not
		// register as if no invite were asked for.
		for _, code := range []string{"-", "- -", "\u3000"} {
			if err := reg("cat", code); !errors.Is(err, store.ErrInviteUnknown) {
				t.Errorf("code %q: %v, want %v", code, err, store.ErrInviteUnknown)
			}
		}
		if err := s.RevokeInvite(ctx, store.FormatInvite(old.Code)); err != nil {
			t.Fatal(err)
		}
		if err := reg("cat", old.Code); !errors.Is(err, store.ErrInviteUnknown) {
			t.Fatalf("revoked code: %v", err)
		}
		if err := s.RevokeInvite(ctx, old.Code); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke twice: %v", err)
		}
		if users, _ := s.Users(ctx); len(users) != 2 {
			t.Fatalf("accounts: %+v", users)
		}
	}},

	{"pending accounts", func(e *env) {
		s, ctx, t := e.s, e.ctx, e.t
		if err := s.Register(ctx, store.User{Name: "dan", Nickname: "丹", PWHash: "h"}, store.Signup{Pending: true, Address: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetUser(ctx, "dan"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a pending account is an account: %v", err)
		}
		// A pending name is taken, for accounts and pending ones alike.
		for _, pending := range []bool{false, true} {
			if err := s.Register(ctx, store.User{Name: "dan", Nickname: "x", PWHash: "h"}, store.Signup{Pending: pending}); !errors.Is(err, store.ErrExists) {
				t.Fatalf("pending=%v on a pending name: %v", pending, err)
			}
		}
		// An admin's add or import of a pending name is refused, import all or none.
		if err := s.CreateUser(ctx, store.User{Name: "dan", PWHash: "h"}); !errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), "approval") {
			t.Fatalf("user add of a pending name: %v", err)
		}
		if err := s.CreateUsers(ctx, []store.User{{Name: "fay", PWHash: "h"}, {Name: "dan", PWHash: "h"}}); !errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), "approval") {
			t.Fatalf("user import of a pending name: %v", err)
		}
		if _, err := s.GetUser(ctx, "fay"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("half an import over a pending name stayed: %v", err)
		}
		if err := s.Register(ctx, store.User{Name: "eve", Nickname: "e", PWHash: "h"}, store.Signup{Pending: true}); err != nil {
			t.Fatal(err)
		}
		ps, _ := s.PendingUsers(ctx)
		if len(ps) != 2 || ps[0].Name != "dan" || ps[0].Address != "192.0.2.1" {
			t.Fatalf("pending: %+v", ps)
		}
		gen, _ := s.Generation(ctx)
		if err := s.ApproveUser(ctx, "dan"); err != nil {
			t.Fatal(err)
		}
		if u, err := s.GetUser(ctx, "dan"); err != nil || u.Nickname != "丹" {
			t.Fatalf("approved: %+v %v", u, err)
		}
		if g, _ := s.Generation(ctx); g == gen {
			t.Fatal("approving did not tell a running broker to reload")
		}
		if err := s.RejectUser(ctx, "eve"); err != nil {
			t.Fatal(err)
		}
		if ps, _ := s.PendingUsers(ctx); len(ps) != 0 {
			t.Fatalf("pending after approve and reject: %+v", ps)
		}
		if err := s.ApproveUser(ctx, "eve"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("approve a rejected account: %v", err)
		}
	}},

	// An admin's add (or import) racing a registration that waits for
	// approval, on two nodes: one of them gets the name, never both.
	{"an account and a pending one of one name race", func(e *env) {
		s, ctx, t := e.s, e.ctx, e.t
		for i := range 60 {
			name := fmt.Sprintf("r%d", i)
			var added, pending error
			var wg sync.WaitGroup
			start := make(chan struct{})
			wg.Go(func() {
				<-start
				u := store.User{Name: name, Nickname: "admin", PWHash: "h"}
				if i%2 == 0 {
					added = s.CreateUser(ctx, u)
				} else {
					added = s.CreateUsers(ctx, []store.User{{Name: "x" + name, PWHash: "h"}, u})
				}
			})
			wg.Go(func() {
				<-start
				pending = s.Register(ctx, store.User{Name: name, Nickname: "self", PWHash: "h"}, store.Signup{Pending: true})
			})
			close(start)
			wg.Wait()
			for _, err := range []error{added, pending} {
				if err != nil && !errors.Is(err, store.ErrExists) {
					t.Fatalf("%s: %v, want nil or ErrExists", name, err)
				}
			}
			_, uerr := s.GetUser(ctx, name)
			_, perr := s.GetPendingUser(ctx, name)
			if (added == nil) == (pending == nil) || (uerr == nil) == (perr == nil) {
				t.Fatalf("%s: add %v, pending registration %v; account %v, pending account %v: want exactly one", name, added, pending, uerr, perr)
			}
		}
	}},

	// A rejected or expired pending account gives its invite use back; an
	// approved one keeps it.
	{"pending accounts give invite uses back", func(e *env) {
		s, ctx, t := e.s, e.ctx, e.t
		inv, err := s.CreateInvite(ctx, 3, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		used := func() int {
			is, err := s.SignupInvites(ctx)
			if err != nil || len(is) != 1 {
				t.Fatalf("invites: %+v %v", is, err)
			}
			return is[0].Used
		}
		at := time.Now().Add(-time.Hour).UnixMilli()
		for i, name := range []string{"gus", "hal", "ivy"} {
			u := store.User{Name: name, Nickname: "n", PWHash: "h", Created: at + int64(i)}
			if err := s.Register(ctx, u, store.Signup{Pending: true, Invite: inv.Code}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Register(ctx, store.User{Name: "jon", Nickname: "n", PWHash: "h"}, store.Signup{Pending: true}); err != nil {
			t.Fatal(err)
		}
		if n := used(); n != 3 {
			t.Fatalf("used %d of 3 after three registrations", n)
		}
		e.ok(s.ApproveUser(ctx, "gus"))
		e.ok(s.RejectUser(ctx, "hal"))
		if n := used(); n != 2 {
			t.Fatalf("used %d after an approval and a rejection, want 2", n)
		}
		// ivy is older than the cutoff, jon (no invite) newer.
		n, err := s.ExpirePending(ctx, at+10)
		if err != nil || n != 1 {
			t.Fatalf("expired %d, %v; want ivy", n, err)
		}
		if n := used(); n != 1 {
			t.Fatalf("used %d after ivy expired, want 1", n)
		}
		if ps, _ := s.PendingUsers(ctx); len(ps) != 1 || ps[0].Name != "jon" {
			t.Fatalf("pending after expiry: %+v", ps)
		}
		if err := s.RejectUser(ctx, "hal"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("reject twice: %v", err)
		}
	}},
}
