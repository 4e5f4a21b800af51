package topics

import (
	"encoding/json"
	"fmt"
)

// Request is a call a user publishes on tachikoma/users/{user}/requests.
type Request struct {
	ID     string          `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params,omitempty"`
}

// Reply answers a Request on tachikoma/users/{user}/replies with the same ID.
// Exactly one of Result and Error is set.
type Reply struct {
	ID     string          `json:"id"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// Error is a failed request. Codes follow HTTP's meaning so that scripts can
// compare numbers: 400 bad params, 403 not allowed, 404 no such thing,
// 409 conflict, 429 too fast, 500 broker fault.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Error codes.
const (
	CodeBadRequest = 400
	CodeForbidden  = 403
	CodeNotFound   = 404
	CodeConflict   = 409
	CodeTooMany    = 429
	CodeInternal   = 500
)

// Errorf builds an *Error.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Methods.
const (
	MethodFriendRequest = "friend.request" // {user}
	MethodFriendAccept  = "friend.accept"  // {user}
	MethodFriendDecline = "friend.decline" // {user}
	MethodFriendRemove  = "friend.remove"  // {user}
	MethodFriendList    = "friend.list"    // {} → FriendList
	MethodRoomCreate    = "room.create"    // {room, title?, public?}
	MethodRoomJoin      = "room.join"      // {room}
	MethodRoomLeave     = "room.leave"     // {room}
	MethodRoomInvite    = "room.invite"    // {room, user}
	MethodRoomList      = "room.list"      // {} → RoomList
	MethodRoomMembers   = "room.members"   // {room} → Members
	MethodHistory       = "history"        // HistoryParams → History
	MethodProfileGet    = "profile.get"    // {user?} → Profile
	MethodProfileSet    = "profile.set"    // {nickname}
	MethodAuthToken     = "auth.token"     // {} → Token
	MethodAuthRevoke    = "auth.revoke"    // {token}: a log-out ends the token
)

// MaxRequestBytes bounds a request payload.
const MaxRequestBytes = 8 * 1024

// Params of the methods. Unused fields are ignored.
type Params struct {
	User     string `json:"user,omitempty"`
	Room     string `json:"room,omitempty"`
	Title    string `json:"title,omitempty"`
	Public   *bool  `json:"public,omitempty"`
	Peer     string `json:"peer,omitempty"`
	Before   int64  `json:"before,omitempty"`
	Limit    int    `json:"limit,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	Token    string `json:"token,omitempty"`
}

// History limits.
const (
	HistoryDefaultLimit = 50
	HistoryMaxLimit     = 100
)

// Profile is a user as others see them.
type Profile struct {
	User     string `json:"user"`
	Nickname string `json:"nickname"`
	Status   string `json:"status,omitempty"` // online/offline, only for yourself and friends
	LastSeen int64  `json:"last_seen,omitempty"`
}

// FriendList is the result of friend.list.
type FriendList struct {
	Friends  []Profile `json:"friends"`
	Incoming []Profile `json:"incoming"` // requests waiting for your answer
	Outgoing []Profile `json:"outgoing"` // your requests waiting for theirs
}

// RoomInfo describes a room in room.list.
type RoomInfo struct {
	Room    string `json:"room"`
	Title   string `json:"title"`
	Public  bool   `json:"public"`
	Owner   string `json:"owner,omitempty"`
	Member  bool   `json:"member"`
	Invited bool   `json:"invited,omitempty"`
	Members int    `json:"members"`
}

// RoomList is the result of room.list: rooms you are in, are invited to, and public rooms.
type RoomList struct {
	Rooms []RoomInfo `json:"rooms"`
}

// Members is the result of room.members.
type Members struct {
	Room    string    `json:"room"`
	Members []Profile `json:"members"`
}

// Token is the result of auth.token: a resume token to send as the MQTT
// password instead of the real one (fast logins; dies with a password change).
type Token struct {
	Token   string `json:"token"`
	Expires int64  `json:"expires"` // unix ms
}

// History is the result of history: newest first.
type History struct {
	Messages []Message `json:"messages"`
}
