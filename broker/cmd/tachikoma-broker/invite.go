package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// parseExpiry reads --expires: a Go duration (36h, 90m), a number of days
// (7d), or 0/never for a code that does not expire.
func parseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "never" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 && n <= 3650 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("--expires %q: want a number of days (7d), a duration (12h, 30m) or never", s)
}

func inviteCmd() *cobra.Command {
	c := &cobra.Command{Use: "invite", Short: "Registration invite codes for registration.mode: invite (works while the broker runs)"}
	ctx := context.Background()

	var createS settings
	var uses int
	var expires string
	create := &cobra.Command{
		Use: "create", Short: "Make an invite code and print it", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if uses < 1 || uses > 1_000_000 {
				return fmt.Errorf("--uses %d: want 1 to 1000000", uses)
			}
			ttl, err := parseExpiry(expires)
			if err != nil {
				return err
			}
			var until time.Time
			if ttl > 0 {
				until = time.Now().Add(ttl)
			}
			st, err := openStore(&createS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			inv, err := st.CreateInvite(ctx, uses, until)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), store.FormatInvite(inv.Code))
			return nil
		},
	}
	createS.bind(create)
	create.Flags().IntVar(&uses, "uses", 1, "how many accounts may register with the code")
	create.Flags().StringVar(&expires, "expires", "7d", "how long the code is good for: 7d, 12h, or never")

	var listS settings
	list := &cobra.Command{
		Use: "list", Short: "List invite codes with their uses and expiry", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			st, err := openStore(&listS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			invs, err := st.SignupInvites(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CODE\tUSED\tCREATED\tEXPIRES\tSTATE")
			now := time.Now().UnixMilli()
			for _, i := range invs {
				state, exp := "usable", "never"
				if i.Expires != 0 {
					exp = stamp(i.Expires)
				}
				switch {
				case i.Used >= i.Uses:
					state = "used up"
				case i.Expires != 0 && i.Expires <= now:
					state = "expired"
				}
				fmt.Fprintf(w, "%s\t%d/%d\t%s\t%s\t%s\n", store.FormatInvite(i.Code), i.Used, i.Uses, stamp(i.Created), exp, state)
			}
			return w.Flush()
		},
	}
	listS.bind(list)

	var revS settings
	revoke := &cobra.Command{
		Use: "revoke CODE", Short: "Delete an invite code; accounts made with it stay", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			st, err := openStore(&revS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RevokeInvite(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "invite %s revoked\n", args[0])
			return nil
		},
	}
	revS.bind(revoke)
	c.AddCommand(create, list, revoke)
	return c
}

func accountCmd() *cobra.Command {
	c := &cobra.Command{Use: "account", Short: "Registrations waiting for approval (registration.approval; works while the broker runs)"}
	ctx := context.Background()

	var pendS settings
	pending := &cobra.Command{
		Use: "pending", Short: "List accounts waiting for approval", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			st, err := openStore(&pendS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			ps, err := st.PendingUsers(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "USER\tNICKNAME\tREGISTERED\tFROM\tINVITE")
			for _, p := range ps {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Nickname, stamp(p.Created), p.Address, cmp.Or(store.FormatInvite(p.Invite), "-"))
			}
			return w.Flush()
		},
	}
	pendS.bind(pending)

	decide := func(use, short, done string, fn func(store.Store, string) error) *cobra.Command {
		var s settings
		var all bool
		cmd := &cobra.Command{
			Use: use + " NAME... | --all-pending", Short: short,
			Args: func(c *cobra.Command, args []string) error {
				if all != (len(args) == 0) {
					return errors.New("give the names of pending accounts or --all-pending, not both")
				}
				return nil
			},
			RunE: func(c *cobra.Command, args []string) error {
				st, err := openStore(&s, c)
				if err != nil {
					return err
				}
				defer st.Close()
				if all {
					ps, err := st.PendingUsers(ctx)
					if err != nil {
						return err
					}
					for _, p := range ps {
						args = append(args, p.Name)
					}
				}
				for _, name := range args {
					if err := fn(st, name); err != nil {
						return err
					}
					fmt.Fprintf(c.OutOrStdout(), "account %s %s\n", name, done)
				}
				return nil
			},
		}
		s.bind(cmd)
		cmd.Flags().BoolVar(&all, "all-pending", false, "every account waiting for approval")
		return cmd
	}
	approve := decide("approve", "Let pending accounts log in", "approved",
		func(st store.Store, name string) error { return st.ApproveUser(ctx, name) })
	reject := decide("reject", "Delete pending accounts (the names become free)", "rejected",
		func(st store.Store, name string) error { return st.RejectUser(ctx, name) })
	c.AddCommand(pending, approve, reject)
	return c
}
