package broker

import (
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// pace holds a chat publish back to its sender's rate, or reports that it
// must be dropped: when the wait would be longer than sender_backlog_wait,
// when what the sender has waiting unread is past its bounds, when the
// sender has gone, or when its session ended while it waited. What is
// dropped was never acknowledged, so no acknowledged message is lost.
func (b *Broker) pace(cl *mqtt.Client, user string) bool {
	r := b.limits.limiter(user).Reserve()
	d := r.Delay()
	if d == 0 {
		return true
	}
	if d > time.Duration(b.cfg.Limits.SenderBacklogWait) || b.senderBehind(cl) {
		r.Cancel()
		return false
	}
	time.Sleep(d)
	return !cl.Closed() && !cl.IsTakenOver()
}

// senderBehind reports a sender whose unread backlog is past the limits or
// who has closed the connection behind it; the backlog sits in the socket,
// out of the rate limiter's sight, while the sender is held back.
func (b *Broker) senderBehind(cl *mqtt.Client) bool {
	c, ok := connOf(cl)
	if !ok {
		return false
	}
	lim, bl := b.cfg.Limits, c.Backlog()
	return bl.PeerClosed || bl.Bytes > lim.SenderBacklogBytes || bl.Waited > time.Duration(lim.SenderBacklogWait)
}

// noticeTooFast tells user that messages were dropped, once per run of
// drops rather than once per message.
func (b *Broker) noticeTooFast(user string) {
	if b.tooFast.Allow(user) {
		b.notice(user, "You are sending too fast; messages were dropped.")
	}
}
