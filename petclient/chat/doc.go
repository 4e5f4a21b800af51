// Package chat is the pet's chat client core, free of any toolkit: the
// connection to a Tachikoma broker (docs/PROTOCOL.md), the outgoing queue,
// and the model (status, conversations, friends, invites) the UI shows.
//
// # Wiring a GTK UI
//
//   - New (cheap, no network) on the main thread; then Connect(ctx) from a
//     goroutine (it blocks until the first login succeeds or fails with a
//     precise error), or Start() to connect and retry in the background.
//   - OnEvent(fn): fn runs on a goroutine owned by the client, one event at a
//     time. Never touch GTK there: hand the event over with glib.IdleAdd and
//     update widgets on the main thread, reading snapshots (Conversations,
//     Friends, Status, Outbox...) which are copies and safe anywhere.
//   - Send, Retry, Discard, MarkRead, ReconnectNow and the snapshot getters
//     never block on the network: call them from the main thread.
//   - Call, History and the request helpers (FriendRequest, RoomJoin...) wait
//     for the server: run them in a goroutine and IdleAdd the result.
//   - Close on quit (it flushes the queue file).
//
// Mute and do-not-disturb live in the UI settings: Event.Conv, Mention and
// DM carry what such rules need.
package chat
