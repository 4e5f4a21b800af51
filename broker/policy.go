package broker

import (
	"strings"
	"sync/atomic"

	"github.com/tachikoma-pet/tachikoma/broker/aclfile"
	"github.com/tachikoma-pet/tachikoma/broker/directory"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// policy decides who may read and write which topic. Tachikoma topics follow
// built-in rules (rooms by membership, user topics by owner, presence by
// friendship); other topics, $SYS included, only what the ACL file grants.
// It reads memory only: mochi asks on every delivery.
type policy struct {
	dir *directory.Directory
	acl atomic.Pointer[aclfile.File]
}

// Allowed is the OnACLCheck answer. topic is a concrete topic for publishes
// and deliveries, and a filter for subscribes.
func (p *policy) Allowed(user, clientID, topic string, write bool) bool {
	// Fast path for the check mochi makes on every delivery of a room
	// message: tachikoma/rooms/{room}, without topics.Parse's allocations.
	if isRoomChat(topic) {
		// Only existing rooms have members, and their names were validated
		// when they were created: no need for the regexp here.
		return p.dir.IsMember(strings.TrimPrefix(topic, roomPrefix), user)
	}
	if topics.HasWildcard(topic) {
		// A wildcard subscription is harmless in itself: every message it
		// would match is checked again, per topic, on delivery.
		return !write
	}
	t, err := topics.Parse(topic)
	if err != nil {
		return false
	}
	switch t.Kind {
	case topics.KindOther:
		return p.acl.Load().Allowed(user, clientID, topic, write)
	case topics.KindRoom:
		return p.dir.IsMember(t.Room, user)
	case topics.KindRoomEvents:
		return !write && p.dir.IsMember(t.Room, user)
	case topics.KindDM:
		if write {
			// Friendship is checked when publishing, so that a stranger gets a
			// notice instead of a 3.1.1 disconnect (mochi's answer to a denied write).
			_, exists := p.dir.User(t.User)
			return user == t.Sender && exists
		}
		return user == t.User
	case topics.KindRequests:
		return write && user == t.User
	case topics.KindReplies, topics.KindEvents:
		return !write && user == t.User
	case topics.KindPresence:
		return !write && (user == t.User || p.dir.AreFriends(user, t.User))
	}
	return false
}

// Readers names everyone Allowed lets read topic, a concrete topic, for
// deliveries that look at readers' sessions instead of asking each
// subscriber: all reports the lobby's topics, which every account may read
// (most of them offline, so the caller looks at the users with a session).
// A topic outside tachikoma/ has no readers here: the ACL file is asked per
// subscriber there.
func (p *policy) Readers(topic string) (names []string, all bool) {
	t, err := topics.Parse(topic)
	if err != nil {
		return nil, false
	}
	switch t.Kind {
	case topics.KindRoom, topics.KindRoomEvents:
		if t.Room == topics.Lobby {
			return nil, true
		}
		return p.dir.AppendMembers(nil, t.Room), false
	case topics.KindDM, topics.KindReplies, topics.KindEvents:
		return []string{t.User}, false
	case topics.KindPresence:
		return append(p.dir.Friends(t.User), t.User), false
	}
	return nil, false
}

const roomPrefix = topics.Root + "/rooms/"

// isRoomChat reports a concrete tachikoma/rooms/{room} topic (not its events).
func isRoomChat(topic string) bool {
	rest, ok := strings.CutPrefix(topic, roomPrefix)
	return ok && rest != "" && !strings.ContainsAny(rest, "/+#")
}

// WillAllowed is stricter than a write check: a will is sent when nobody can
// be told it was refused, so DMs need the friendship now.
func (p *policy) WillAllowed(user, clientID, topic string) bool {
	if !p.Allowed(user, clientID, topic, true) || strings.HasPrefix(topic, "$") {
		return false
	}
	t, _ := topics.Parse(topic)
	switch t.Kind {
	case topics.KindRequests:
		return false // a request nobody waits for the reply to
	case topics.KindDM:
		return p.dir.AreFriends(t.User, t.Sender)
	}
	return true
}

// ReloadACL reads the ACL file again (serve calls it on SIGHUP). A file that
// does not load leaves the current rules in force; the new rules apply to the
// next subscribe, publish and delivery, so existing subscriptions lose what
// they no longer grant.
func (b *Broker) ReloadACL() error {
	if b.cfg.ACLFile == "" {
		return nil
	}
	acl, err := aclfile.Load(b.cfg.ACLFile)
	if err != nil {
		return err
	}
	b.policy.acl.Store(acl)
	b.log.Info("acl file reloaded", "file", b.cfg.ACLFile)
	return nil
}
