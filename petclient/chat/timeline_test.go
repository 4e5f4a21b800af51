package chat

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// describe renders a timeline as "text" for a stamped row, "text[state]"
// for a stamped row with outbox state, "(text)[state]" for an outbox row.
func describe(lines []Line) string {
	var parts []string
	for _, l := range lines {
		switch {
		case l.Msg != nil && l.Out != nil:
			parts = append(parts, fmt.Sprintf("%s[%s]", l.Msg.Text, l.Out.State))
		case l.Msg != nil:
			parts = append(parts, l.Msg.Text)
		default:
			parts = append(parts, fmt.Sprintf("(%s)[%s]", l.Out.Text, l.Out.State))
		}
	}
	return strings.Join(parts, " ")
}

// An own message whose echo came before its PUBACK shows once; a failure
// after the echo shows on the stamped copy; others' and unechoed ones as before.
func TestTimeline(t *testing.T) {
	const conv = "room:lobby"
	msg := func(from, cid, text string, own bool) Message {
		return Message{Message: topics.Message{From: from, CID: cid, Text: text}, Conv: conv, Own: own}
	}
	queued := func(cid, text string, st SendState) Outgoing {
		return Outgoing{CID: cid, Conv: conv, Text: text, State: st}
	}
	cases := []struct {
		name string
		msgs []Message
		out  []Outgoing
		want string
	}{
		{"echo before PUBACK", []Message{msg("me", "m1", "你好", true)},
			[]Outgoing{queued("m1", "你好", SendPending)}, "你好"},
		{"failed after echo", []Message{msg("me", "m1", "你好", true)},
			[]Outgoing{queued("m1", "你好", SendFailed)}, "你好[failed]"},
		{"not echoed yet", []Message{msg("bob", "b1", "hi", false)},
			[]Outgoing{queued("m1", "你好", SendPending), queued("m2", "again", SendFailed)},
			"hi (你好)[pending] (again)[failed]"},
		{"same cid from someone else is not ours", []Message{msg("bob", "m1", "hi", false)},
			[]Outgoing{queued("m1", "你好", SendPending)}, "hi (你好)[pending]"},
		{"other conversation and sent are not shown", nil,
			[]Outgoing{{CID: "x", Conv: "dm:bob", Text: "dm", State: SendPending}, queued("m1", "done", SendSent)}, ""},
		{"empty cid never matches", []Message{msg("me", "", "old", true)},
			[]Outgoing{queued("", "new", SendPending)}, "old (new)[pending]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := describe(Timeline(conv, c.msgs, c.out)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
