package chat

// Line is one row of a conversation's message list: a stored message, a
// message still in the outbox, or a stored message whose send then failed.
type Line struct {
	Msg *Message  // the stamped copy; nil while only the outbox has it
	Out *Outgoing // outbox state to show under the row (pending or failed); nil for none
}

// Timeline lists what a conversation shows: msgs (stamped, oldest first),
// then the outbox's unsent messages for conv. An own message whose echo came
// before its PUBACK is shown once, as the stamped copy; if its send later
// fails, the failure (and Retry/Discard) is shown on that copy, since the
// user sees one message and wants to know whether that one arrived.
func Timeline(conv string, msgs []Message, out []Outgoing) []Line {
	queued := make(map[string]*Outgoing)
	for i := range out {
		if o := &out[i]; o.Conv == conv && o.State != SendSent {
			queued[o.CID] = o
		}
	}
	lines := make([]Line, 0, len(msgs)+len(queued))
	shown := make(map[string]bool)
	for i := range msgs {
		m := &msgs[i]
		l := Line{Msg: m}
		if o := queued[m.CID]; m.Own && m.CID != "" && o != nil {
			shown[o.CID] = true
			if o.State == SendFailed {
				l.Out = o
			}
		}
		lines = append(lines, l)
	}
	for i := range out {
		if o := &out[i]; queued[o.CID] == o && !shown[o.CID] {
			lines = append(lines, Line{Out: o})
		}
	}
	return lines
}
