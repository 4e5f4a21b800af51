// Package directory is the broker's in-memory view of who exists and how
// they are related: accounts, rooms, memberships, invites and friendships.
// Every ACL check reads it (mochi calls OnACLCheck on each delivery), so
// reads never touch SQLite; every change writes SQLite first, then memory.
package directory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

type set map[string]struct{}

func (s set) has(k string) bool { _, ok := s[k]; return ok }

func (s set) sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func add(m map[string]set, k, v string) {
	if m[k] == nil {
		m[k] = set{}
	}
	m[k][v] = struct{}{}
}

func del(m map[string]set, k, v string) {
	delete(m[k], v)
	if len(m[k]) == 0 {
		delete(m, k)
	}
}

// User is an account as the directory holds it.
type User struct {
	Name     string
	Nickname string
	PWHash   string
	LastSeen int64
	SinceID  int64 // reads DMs after this message id (store.User.SinceID)
}

// Room is a room as the directory holds it.
type Room struct {
	Name    string
	Title   string
	Public  bool
	Owner   string
	SinceID int64 // history after this message id (store.Room.SinceID)
}

// Directory is safe for concurrent use.
type Directory struct {
	st store.Store

	// reloadMu makes reloads take turns, so that an older one's reads
	// never replace a newer one's.
	reloadMu sync.Mutex
	// changeMu is held for reading by each change from its store write to
	// its memory update, and for writing by a reload that changes keep
	// making read again (see Reload).
	changeMu sync.RWMutex

	mu      sync.RWMutex
	users   map[string]*User
	rooms   map[string]*Room
	members map[string]set // room -> users (lobby implicit)
	invited map[string]set // room -> users
	friends map[string]set // user -> users
	reqOut  map[string]set // from -> to
	reqIn   map[string]set // to -> from
	lastGen int64
	seq     uint64 // counts this process's own changes (see reload)
}

// Change tells listeners what a Reload found different.
type Change struct {
	RemovedUsers   []string
	PasswordChange []string
}

// Errors.
var (
	ErrNoUser   = errors.New("no such user")
	ErrNoRoom   = errors.New("no such room")
	ErrExists   = store.ErrExists
	ErrNotFound = store.ErrNotFound
)

// New loads the directory from st.
func New(ctx context.Context, st store.Store) (*Directory, error) {
	d := &Directory{st: st}
	if _, err := d.Reload(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Store returns the backing store.
func (d *Directory) Store() store.Store { return d.st }

// Reload re-reads everything from the store (cheap enough for the admin
// CLI's rare writes) and reports users that disappeared and users
// whose password changed, so the broker can disconnect them.
func (d *Directory) Reload(ctx context.Context) (Change, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	for try := 0; ; try++ {
		// The last try holds changes off, so that a busy node's stream of
		// them cannot keep another node's change out.
		last := try == 4
		if last {
			d.changeMu.Lock()
		}
		ch, retry, err := d.reload(ctx)
		if last {
			d.changeMu.Unlock()
		}
		if err != nil || !retry || last {
			return ch, err
		}
	}
}

// reload reads everything and swaps it in, unless one of this process's own
// changes landed meanwhile (its memory update could be lost by the swap):
// then it asks to be run again.
func (d *Directory) reload(ctx context.Context) (Change, bool, error) {
	d.mu.RLock()
	seq := d.seq
	d.mu.RUnlock()
	gen, err := d.st.Generation(ctx)
	if err != nil {
		return Change{}, false, err
	}
	users, err := d.st.Users(ctx)
	if err != nil {
		return Change{}, false, fmt.Errorf("load users: %w", err)
	}
	rooms, err := d.st.Rooms(ctx)
	if err != nil {
		return Change{}, false, fmt.Errorf("load rooms: %w", err)
	}
	rels := make([][]store.Pair, 4)
	for i, f := range []func(context.Context) ([]store.Pair, error){d.st.Members, d.st.Invites, d.st.Friends, d.st.FriendRequests} {
		if rels[i], err = f(ctx); err != nil {
			return Change{}, false, fmt.Errorf("load relations: %w", err)
		}
	}
	nu := make(map[string]*User, len(users))
	for _, u := range users {
		nu[u.Name] = &User{Name: u.Name, Nickname: u.Nickname, PWHash: u.PWHash, LastSeen: u.LastSeen, SinceID: u.SinceID}
	}
	nr := make(map[string]*Room, len(rooms))
	for _, r := range rooms {
		nr[r.Name] = &Room{Name: r.Name, Title: r.Title, Public: r.Public, Owner: r.Owner, SinceID: r.SinceID}
	}
	members, invited := map[string]set{}, map[string]set{}
	for _, p := range rels[0] {
		add(members, p.A, p.B)
	}
	for _, p := range rels[1] {
		add(invited, p.A, p.B)
	}
	friends, reqOut, reqIn := map[string]set{}, map[string]set{}, map[string]set{}
	for _, p := range rels[2] {
		add(friends, p.A, p.B)
		add(friends, p.B, p.A)
	}
	for _, p := range rels[3] {
		add(reqOut, p.A, p.B)
		add(reqIn, p.B, p.A)
	}

	d.mu.Lock()
	if d.seq != seq {
		d.mu.Unlock()
		return Change{}, true, nil
	}
	var ch Change
	for name, u := range d.users {
		if nu[name] == nil {
			ch.RemovedUsers = append(ch.RemovedUsers, name)
		} else if nu[name].PWHash != u.PWHash {
			ch.PasswordChange = append(ch.PasswordChange, name)
		}
	}
	d.users, d.rooms, d.members, d.invited = nu, nr, members, invited
	d.friends, d.reqOut, d.reqIn, d.lastGen = friends, reqOut, reqIn, gen
	d.mu.Unlock()
	return ch, false, nil
}

// ReloadIfChanged reloads when accounts or rooms changed in the database
// (the admin CLI, another process).
func (d *Directory) ReloadIfChanged(ctx context.Context) (Change, bool, error) {
	gen, err := d.st.Generation(ctx)
	if err != nil {
		return Change{}, false, err
	}
	d.mu.RLock()
	same := gen == d.lastGen
	d.mu.RUnlock()
	if same {
		return Change{}, false, nil
	}
	ch, err := d.Reload(ctx)
	return ch, err == nil, err
}

// User returns a copy of the named account.
func (d *Directory) User(name string) (User, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if u := d.users[name]; u != nil {
		return *u, true
	}
	return User{}, false
}

// Nickname returns name's nickname, or name itself.
func (d *Directory) Nickname(name string) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if u := d.users[name]; u != nil {
		return u.Nickname
	}
	return name
}

// Room returns a copy of the named room.
func (d *Directory) Room(name string) (Room, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if r := d.rooms[name]; r != nil {
		return *r, true
	}
	return Room{}, false
}

// IsMember reports whether user may read and write room. Everyone with an
// account is in the lobby.
func (d *Directory) IsMember(room, user string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.users[user] == nil {
		return false
	}
	if room == topics.Lobby {
		return true
	}
	return d.members[room].has(user)
}

// IsInvited reports whether user has a pending invite to room.
func (d *Directory) IsInvited(room, user string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.invited[room].has(user)
}

// AreFriends reports whether a and b are friends.
func (d *Directory) AreFriends(a, b string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.friends[a].has(b)
}

// Friends lists user's friends, sorted.
func (d *Directory) Friends(user string) []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.friends[user].sorted()
}

// Requests lists pending friend requests to (incoming) and from (outgoing) user.
func (d *Directory) Requests(user string) (incoming, outgoing []string) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.reqIn[user].sorted(), d.reqOut[user].sorted()
}

// HasRequest reports a pending request from src to dst.
func (d *Directory) HasRequest(src, dst string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.reqOut[src].has(dst)
}

// Members lists room's members, sorted (every user for the lobby).
func (d *Directory) Members(room string) []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if room == topics.Lobby {
		out := make([]string, 0, len(d.users))
		for n := range d.users {
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	}
	return d.members[room].sorted()
}

// AppendMembers appends room's members to dst in no particular order: for
// a delivery, which needs no sorting. The lobby's members are every user.
func (d *Directory) AppendMembers(dst []string, room string) []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if room == topics.Lobby {
		for n := range d.users {
			dst = append(dst, n)
		}
		return dst
	}
	for n := range d.members[room] {
		dst = append(dst, n)
	}
	return dst
}

// MemberCount is len(Members(room)) without the copy.
func (d *Directory) MemberCount(room string) int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if room == topics.Lobby {
		return len(d.users)
	}
	return len(d.members[room])
}

// Rooms lists every room, sorted by name.
func (d *Directory) Rooms() []Room {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Room, 0, len(d.rooms))
	for _, r := range d.rooms {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// --- changes: store first, then memory ---

// CreateUser adds an account, as an admin does: no invite, not pending.
func (d *Directory) CreateUser(ctx context.Context, name, nick, hash string) error {
	return d.Register(ctx, name, nick, hash, store.Signup{})
}

// Register adds an account as a registration does (store.Register: an
// invite used up, or the account left pending, which memory does not know).
func (d *Directory) Register(ctx context.Context, name, nick, hash string, how store.Signup) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	since, err := d.st.MessageWatermark(ctx)
	if err != nil {
		return err
	}
	if err := d.st.Register(ctx, store.User{Name: name, Nickname: nick, PWHash: hash, SinceID: since}, how); err != nil {
		return err
	}
	if how.Pending {
		return nil
	}
	d.mu.Lock()
	d.seq++
	d.users[name] = &User{Name: name, Nickname: nick, PWHash: hash, SinceID: since}
	d.mu.Unlock()
	return nil
}

// SetNickname changes name's nickname.
func (d *Directory) SetNickname(ctx context.Context, name, nick string) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	if err := d.st.SetNickname(ctx, name, nick); err != nil {
		return err
	}
	d.mu.Lock()
	d.seq++
	if u := d.users[name]; u != nil {
		u.Nickname = nick
	}
	d.mu.Unlock()
	return nil
}

// SetLastSeen records a disconnect time.
func (d *Directory) SetLastSeen(ctx context.Context, name string, ts int64) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	d.mu.Lock()
	d.seq++
	if u := d.users[name]; u != nil {
		u.LastSeen = ts
	}
	d.mu.Unlock()
	return d.st.SetLastSeen(ctx, name, ts)
}

// CreateRoom adds a room owned by owner, who becomes its first member.
func (d *Directory) CreateRoom(ctx context.Context, r Room) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	if r.SinceID == 0 {
		since, err := d.st.MessageWatermark(ctx)
		if err != nil {
			return err
		}
		r.SinceID = since
	}
	if err := d.st.CreateRoom(ctx, store.Room{Name: r.Name, Title: r.Title, Public: r.Public, Owner: r.Owner, SinceID: r.SinceID}); err != nil {
		return err
	}
	d.mu.Lock()
	d.seq++
	d.rooms[r.Name] = &r
	if r.Owner != "" {
		add(d.members, r.Name, r.Owner)
	}
	d.mu.Unlock()
	return nil
}

// Join makes user a member of room.
func (d *Directory) Join(ctx context.Context, room, user string) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	if err := d.st.Join(ctx, room, user); err != nil {
		return err
	}
	d.mu.Lock()
	d.seq++
	add(d.members, room, user)
	del(d.invited, room, user)
	d.mu.Unlock()
	return nil
}

// Leave removes user from room.
func (d *Directory) Leave(ctx context.Context, room, user string) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	if err := d.st.Leave(ctx, room, user); err != nil {
		return err
	}
	d.mu.Lock()
	d.seq++
	del(d.members, room, user)
	d.mu.Unlock()
	return nil
}

// Invite records an invitation.
func (d *Directory) Invite(ctx context.Context, room, user, inviter string) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	if err := d.st.Invite(ctx, room, user, inviter); err != nil {
		return err
	}
	d.mu.Lock()
	d.seq++
	add(d.invited, room, user)
	d.mu.Unlock()
	return nil
}

// RequestFriend records src's request to dst, or befriends them when dst
// had asked: the store decides (store.Relations.RequestFriend), since
// another node may have recorded dst's request a moment ago.
func (d *Directory) RequestFriend(ctx context.Context, src, dst string) (store.Asked, error) {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	asked, err := d.st.RequestFriend(ctx, src, dst)
	if err != nil {
		return 0, err
	}
	d.mu.Lock()
	d.seq++
	switch asked {
	case store.Requested, store.AlreadyRequested:
		add(d.reqOut, src, dst)
		add(d.reqIn, dst, src)
	case store.Befriended, store.AlreadyFriends:
		d.befriend(src, dst)
	}
	d.mu.Unlock()
	return asked, nil
}

// DropFriendRequest removes a pending request.
func (d *Directory) DropFriendRequest(ctx context.Context, src, dst string) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	if err := d.st.DropFriendRequest(ctx, src, dst); err != nil {
		return err
	}
	d.mu.Lock()
	d.seq++
	del(d.reqOut, src, dst)
	del(d.reqIn, dst, src)
	d.mu.Unlock()
	return nil
}

// MakeFriends records a friendship and clears requests both ways.
func (d *Directory) MakeFriends(ctx context.Context, a, b string) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	if err := d.st.MakeFriends(ctx, a, b); err != nil {
		return err
	}
	d.mu.Lock()
	d.seq++
	d.befriend(a, b)
	d.mu.Unlock()
	return nil
}

// befriend records a friendship in memory and clears requests both ways;
// d.mu is held.
func (d *Directory) befriend(a, b string) {
	add(d.friends, a, b)
	add(d.friends, b, a)
	del(d.reqOut, a, b)
	del(d.reqIn, b, a)
	del(d.reqOut, b, a)
	del(d.reqIn, a, b)
}

// Unfriend removes a friendship.
func (d *Directory) Unfriend(ctx context.Context, a, b string) error {
	d.changeMu.RLock()
	defer d.changeMu.RUnlock()
	if err := d.st.Unfriend(ctx, a, b); err != nil {
		return err
	}
	d.mu.Lock()
	d.seq++
	del(d.friends, a, b)
	del(d.friends, b, a)
	d.mu.Unlock()
	return nil
}
