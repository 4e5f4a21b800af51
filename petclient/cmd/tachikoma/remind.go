package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/remind"
)

func init() {
	register("remind", "reminders the pet says: tachikoma remind 20m \"drink water\"", runRemind)
}

func runRemind(args []string) int {
	path, err := remind.DefaultPath()
	if err != nil {
		fmt.Fprintf(os.Stderr, "tachikoma remind: %v\n", err)
		return 1
	}
	return remindCmd(args, os.Stdout, os.Stderr, path, time.Now)
}

const remindUsage = `Usage:
  tachikoma remind WHEN TEXT      add a reminder; a running pet says it
  tachikoma remind list           list reminders (also: ls, 列表)
  tachikoma remind del ID...      delete reminders (also: rm, 删除)
  tachikoma remind focus [W/B[/L][xN]]   (also: 专注)
                                  show or set the focus timer in minutes
                                  (default 25/5/15x4: a long break every 4)

WHEN: 20m, 1h30m, "in 20 minutes", 18:30, 6:30pm, "tomorrow 9:00",
      "every day 9:00", 20分钟, 半小时后, 18点半, 每天 9:00, 2026-12-24 18:00
Reminders live in %s.
`

// remindCmd edits the reminders file; it needs no display, and a running
// pet notices the change within a few seconds.
func remindCmd(args []string, stdout, stderr io.Writer, path string, now func() time.Time) int {
	st := &remind.Store{Path: path, OnCorrupt: func(e *remind.CorruptError) {
		fmt.Fprintf(stderr, "tachikoma remind: warning: %v\n", e)
	}}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "tachikoma remind: %v\n", err)
		return 1
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stderr, remindUsage, path)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "list", "ls", "列表":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "tachikoma remind list: unexpected arguments: %s\n", strings.Join(args[1:], " "))
			return 2
		}
		d, err := st.Load()
		var ce *remind.CorruptError
		if err != nil && !errors.As(err, &ce) {
			return fail(err)
		}
		printReminders(stdout, d, now())
		return 0
	case "del", "rm", "delete", "删除":
		if len(args) < 2 {
			fmt.Fprintln(stderr, "tachikoma remind del: which reminder? (see tachikoma remind list)")
			return 2
		}
		var ids []int
		for _, a := range args[1:] {
			id, err := strconv.Atoi(strings.TrimPrefix(a, "#"))
			if err != nil {
				fmt.Fprintf(stderr, "tachikoma remind del: %q is not a reminder id\n", a)
				return 2
			}
			ids = append(ids, id)
		}
		if _, err := st.Update(func(d *remind.Data) error {
			for _, id := range ids {
				if err := d.Delete(id); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fail(err)
		}
		for _, id := range ids {
			fmt.Fprintf(stdout, "reminder %d deleted\n", id)
		}
		return 0
	case "focus", "专注":
		var cfg remind.FocusConfig
		d, err := st.Update(func(d *remind.Data) error {
			if len(args) < 2 {
				cfg = d.FocusOrDefault()
				return nil
			}
			c, err := remind.ParseFocus(strings.Join(args[1:], ""))
			if err != nil {
				return err
			}
			d.Focus, cfg = c, c
			return nil
		})
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "focus %d min, break %d min, long break %d min every %d; %d done today\n",
			cfg.Work, cfg.Short, cfg.Long, cfg.LongEvery, d.DoneToday(now()))
		return 0
	}
	t := now()
	w, text, err := remind.ParseReminder(strings.Join(args, " "), t)
	if err != nil {
		fmt.Fprintf(stderr, "tachikoma remind: %v\n", err)
		return 2
	}
	var r remind.Reminder
	if _, err := st.Update(func(d *remind.Data) error {
		r = d.Add(w, text, t)
		return nil
	}); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "reminder %d: %s %s\n", r.ID, describe(r, t), r.Text)
	return 0
}

func printReminders(w io.Writer, d remind.Data, now time.Time) {
	if len(d.Reminders) == 0 {
		fmt.Fprintln(w, "no reminders")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHEN\tTEXT")
	for _, r := range d.Reminders {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", r.ID, describe(r, now), strings.ReplaceAll(r.Text, "\n", " "))
	}
	tw.Flush()
}

// describe words when a reminder is due: "every day 09:00",
// "today 18:30 (in 1h5m)", "2026-12-24 18:00".
func describe(r remind.Reminder, now time.Time) string {
	if r.Daily {
		return fmt.Sprintf("every day %02d:%02d", r.Hour, r.Min)
	}
	at := r.Next.Local()
	day := at.Format(time.DateOnly)
	switch day {
	case now.Format(time.DateOnly):
		day = "today"
	case now.AddDate(0, 0, 1).Format(time.DateOnly):
		day = "tomorrow"
	}
	date := ""
	if remind.SmallHours(now) && (day == "today" || day == "tomorrow") {
		date = at.Format("Mon 01-02") + ", " // which "today" is meant is unclear after midnight
	}
	in := at.Sub(now).Round(time.Minute)
	if in <= 0 {
		return fmt.Sprintf("%s %s (%sdue)", day, at.Format("15:04"), date)
	}
	return fmt.Sprintf("%s %s (%sin %s)", day, at.Format("15:04"), date, strings.TrimSuffix(in.String(), "0s"))
}
