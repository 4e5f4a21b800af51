package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Message is a stored chat message.
type Message struct {
	ID     int64
	Conv   string // RoomConv or DMConv
	Sender string
	Nick   string
	Text   string
	TS     int64  // unix ms
	CID    string // sender's message id, "" if none
}

// Log appends messages in batches: one commit for everything that arrived
// while the previous commit ran (group commit), so a busy room costs one
// database write per batch instead of per message. Both stores use it.
type Log struct {
	commitFn func(ctx context.Context, batch []Message) error
	in       chan pending
	done     chan struct{}
	mu       sync.RWMutex // held for reading while sending on in; Close takes it for writing
	closed   bool

	// History waits for messages already handed over: subscribers get a
	// message before its commit, and one who asks for history right after
	// must find it there.
	enqueued  atomic.Int64
	doneMu    sync.Mutex
	doneCond  *sync.Cond
	processed int64 // committed or failed; guarded by doneMu
	finished  bool  // run has returned; guarded by doneMu
	observe   atomic.Pointer[func(n int, took time.Duration, err error)]
}

type pending struct {
	m    Message
	ack  chan error  // buffered: the log never waits for a caller
	then func(error) // instead of ack, for AppendThen
}

const maxBatch = 512

// NewLog starts a log that stores each batch with commit (all or none of
// it), called from the log's one goroutine.
func NewLog(commit func(ctx context.Context, batch []Message) error) *Log {
	l := &Log{commitFn: commit, in: make(chan pending, 4096), done: make(chan struct{})}
	l.doneCond = sync.NewCond(&l.doneMu)
	go l.run()
	return l
}

// ErrClosed is returned for appends after Close.
var ErrClosed = errors.New("store closed")

// Commit is a message handed to the log.
type Commit struct{ ack chan error }

// Wait returns once the message is committed (or failed to be).
func (c Commit) Wait() error { return <-c.ack }

// Append hands m to the log and returns at once; the commit follows within
// one batch.
func (l *Log) Append(m Message) (Commit, error) {
	p := pending{m: m, ack: make(chan error, 1)}
	return Commit{ack: p.ack}, l.append(p)
}

// AppendThen is Append for a caller that does not wait: then is called
// with the commit's outcome from the log's goroutine, so it must not block.
func (l *Log) AppendThen(m Message, then func(error)) error {
	return l.append(pending{m: m, then: then})
}

func (l *Log) append(p pending) error {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	l.enqueued.Add(1)
	l.in <- p
	l.mu.RUnlock()
	return nil
}

// commitSpacing is the least time between the starts of two commits: a
// commit costs nearly the same for one message as for many, and only
// senders' acknowledgements wait for it (docs/PERFORMANCE.md). When the log
// has been quiet for this long a message commits at once.
const commitSpacing = 10 * time.Millisecond

func (l *Log) run() {
	defer close(l.done)
	defer func() {
		l.doneMu.Lock()
		l.finished = true
		l.doneCond.Broadcast()
		l.doneMu.Unlock()
	}()
	batch := make([]pending, 0, maxBatch)
	msgs := make([]Message, 0, maxBatch)
	var last time.Time
	for p := range l.in {
		if wait := commitSpacing - time.Since(last); wait > 0 {
			time.Sleep(wait)
		}
		last = time.Now()
		batch = append(batch[:0], p)
	fill:
		for len(batch) < maxBatch {
			select {
			case q, ok := <-l.in:
				if !ok {
					break fill
				}
				batch = append(batch, q)
			default:
				break fill
			}
		}
		msgs = msgs[:0]
		for _, q := range batch {
			msgs = append(msgs, q.m)
		}
		start := time.Now()
		err := l.commitFn(context.Background(), msgs)
		if observe := l.observe.Load(); observe != nil {
			(*observe)(len(batch), time.Since(start), err)
		}
		for _, q := range batch {
			if q.then != nil {
				q.then(err)
			} else {
				q.ack <- err
			}
		}
		l.doneMu.Lock()
		l.processed += int64(len(batch))
		l.doneCond.Broadcast()
		l.doneMu.Unlock()
	}
}

// Observe has fn called after each commit with its number of messages,
// duration and outcome, from the log's goroutine: it must not block.
func (l *Log) Observe(fn func(n int, took time.Duration, err error)) {
	l.observe.Store(&fn)
}

// Backlog is the number of messages waiting for their commit.
func (l *Log) Backlog() int { return len(l.in) }

// WaitProcessed returns once every message appended so far is committed
// (or has failed).
func (l *Log) WaitProcessed() {
	target := l.enqueued.Load()
	l.doneMu.Lock()
	for l.processed < target && !l.finished {
		l.doneCond.Wait()
	}
	l.doneMu.Unlock()
}

// Close commits what was appended and stops the log.
func (l *Log) Close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.in)
	}
	l.mu.Unlock()
	<-l.done
}

// messageLog is SQLite's history writer: one connection and one prepared
// INSERT for every batch, since preparing per transaction was a visible
// cost of a DM (docs/PERFORMANCE.md).
type messageLog struct {
	*Log
	conn   *sql.Conn
	insert *sql.Stmt
	nextID atomic.Int64
	first  int64 // nextID at open: this process has handed out ids once nextID passed it

	db        *sql.DB
	reserveMu sync.Mutex
	reserved  atomic.Int64 // ids up to it may be handed out: meta message_ids_reserved says so
}

// idsReservedAhead is how many ids one write to meta reserves.
const idsReservedAhead = 1 << 16

// idsInFlightBound exceeds the ids reserved but not yet committed at any
// moment: the log's queue (4096), a batch (512) and the publishers waiting
// to enter the queue.
const idsInFlightBound = 1 << 20

func newMessageLog(db *sql.DB) (*messageLog, error) {
	var newest sql.NullInt64
	if err := db.QueryRow(`SELECT MAX(id) FROM messages`).Scan(&newest); err != nil {
		return nil, fmt.Errorf("message log: %w", err)
	}
	var reserved int64
	if err := db.QueryRow(`SELECT COALESCE((SELECT value FROM meta WHERE key = 'message_ids_reserved'), 0)`).Scan(&reserved); err != nil {
		return nil, fmt.Errorf("message log: %w", err)
	}
	l := &messageLog{db: db}
	ctx := context.Background()
	var err error
	if l.conn, err = db.Conn(ctx); err != nil {
		return nil, fmt.Errorf("message log: %w", err)
	}
	l.insert, err = l.conn.PrepareContext(ctx, `INSERT OR IGNORE INTO messages(id, conv, sender, nick, body, ts, cid) VALUES (?,?,?,?,?,?,?)`)
	if err != nil {
		l.conn.Close()
		return nil, fmt.Errorf("message log: %w", err)
	}
	// Ids handed out before a crash but never committed were already
	// delivered to subscribers, which drop any later message with one of
	// them: after the first run, start past all that can have been in flight.
	next := newest.Int64
	res, err := db.Exec(`INSERT OR IGNORE INTO meta(key, value) VALUES ('message_ids_issued', 1)`)
	if err != nil {
		l.conn.Close()
		return nil, fmt.Errorf("message log: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		next += idsInFlightBound
	}
	// However many were delivered and never stored (commits failing on
	// a full disk), none was handed out past its reservation.
	next = max(next, reserved)
	l.nextID.Store(next)
	l.first = next
	l.reserved.Store(next)
	l.Log = NewLog(l.commit)
	return l, nil
}

// MessageWatermark is the id of the newest message sent so far: the last
// this process handed out, or, until it hands one out, the newest stored,
// since this process's ids start far past those of the broker that may be
// running beside it (the admin CLI's process).
func (s *SQLite) MessageWatermark(ctx context.Context) (int64, error) {
	if next := s.log.nextID.Load(); next > s.log.first {
		return next, nil
	}
	var max sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(id) FROM messages`).Scan(&max); err != nil {
		return 0, fmt.Errorf("message watermark: %w", err)
	}
	return max.Int64, nil
}

// NextMessageID reserves the id of a message about to be appended.
func (s *SQLite) NextMessageID(ctx context.Context) (int64, error) {
	id := s.log.nextID.Add(1)
	if id > s.log.reserved.Load() {
		if err := s.log.reserve(ctx, id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// reserve records in the database that ids up to idsReservedAhead past id
// may be handed out, before any of them is.
func (l *messageLog) reserve(ctx context.Context, id int64) error {
	l.reserveMu.Lock()
	defer l.reserveMu.Unlock()
	if id <= l.reserved.Load() {
		return nil
	}
	upto := id + idsReservedAhead
	if _, err := l.db.ExecContext(ctx, `INSERT OR REPLACE INTO meta(key, value) VALUES ('message_ids_reserved', ?)`, upto); err != nil {
		return fmt.Errorf("reserve message ids: %w", err)
	}
	l.reserved.Store(upto)
	return nil
}

// AppendMessage hands m (whose ID came from NextMessageID) to the log.
func (s *SQLite) AppendMessage(m Message) (Commit, error) { return s.log.Append(m) }

// AppendMessageThen is AppendMessage for a caller that does not wait.
func (s *SQLite) AppendMessageThen(m Message, then func(error)) error {
	return s.log.AppendThen(m, then)
}

func (l *messageLog) commit(ctx context.Context, batch []Message) error {
	// The transaction by hand on the log's connection: inside a sql.Tx,
	// database/sql prepares a statement that belongs to a sql.Conn again
	// (Tx.StmtContext), once per batch.
	if _, err := l.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("store messages: %w", err)
	}
	rollback := func(err error) error {
		if _, rerr := l.conn.ExecContext(ctx, "ROLLBACK"); rerr != nil {
			return fmt.Errorf("%w (and rollback: %v)", err, rerr)
		}
		return err
	}
	for _, m := range batch {
		var cid any
		if m.CID != "" {
			cid = m.CID
		}
		if _, err := l.insert.ExecContext(ctx, m.ID, m.Conv, m.Sender, m.Nick, m.Text, m.TS, cid); err != nil {
			return rollback(fmt.Errorf("store message %d: %w", m.ID, err))
		}
	}
	if _, err := l.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return rollback(fmt.Errorf("store messages: %w", err))
	}
	return nil
}

// ObserveCommits has fn called after each history commit.
func (s *SQLite) ObserveCommits(fn func(n int, took time.Duration, err error)) { s.log.Observe(fn) }

// HistoryBacklog is the number of messages waiting for their commit.
func (s *SQLite) HistoryBacklog() int { return s.log.Backlog() }

func (l *messageLog) close() {
	l.Log.Close()
	l.insert.Close()
	l.conn.Close()
}

// History returns up to limit messages of conv with id < before (before <= 0:
// the newest), newest first.
func (s *SQLite) History(ctx context.Context, conv string, before int64, limit int) ([]Message, error) {
	return s.HistorySince(ctx, conv, before, 0, limit)
}

// HistorySince is History limited to messages with an id above since (a
// SinceID): a range on the (conv, id) index, however long the history. It
// includes every message appended before the call.
func (s *SQLite) HistorySince(ctx context.Context, conv string, before, since int64, limit int) ([]Message, error) {
	if limit < 1 {
		return []Message{}, nil
	}
	s.log.WaitProcessed()
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, conv, sender, nick, body, ts, COALESCE(cid, '') FROM messages
		WHERE conv=? AND id<? AND id>? ORDER BY id DESC LIMIT ?`, conv, before, since, limit)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", conv, err)
	}
	defer rows.Close()
	out := make([]Message, 0, limit)
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.Conv, &m.Sender, &m.Nick, &m.Text, &m.TS, &m.CID); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EachCID calls each with every cid that sender's stored messages carry,
// until each returns false.
func (s *SQLite) EachCID(ctx context.Context, sender string, each func(cid string) bool) error {
	rows, err := s.db.QueryContext(ctx, `SELECT cid FROM messages WHERE sender=? AND cid IS NOT NULL`, sender)
	if err != nil {
		return fmt.Errorf("cids of %s: %w", sender, err)
	}
	defer rows.Close()
	if err := EachString(rows, each); err != nil {
		return fmt.Errorf("cids of %s: %w", sender, err)
	}
	return nil
}

// Rows is what database/sql's and pgx's query results have in common.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// EachString calls each with the one string column of every row until
// each returns false.
func EachString(rows Rows, each func(string) bool) error {
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return err
		}
		if !each(v) {
			return nil
		}
	}
	return rows.Err()
}

// FindByCID returns the id of sender's stored message with cid, or 0.
func (s *SQLite) FindByCID(ctx context.Context, sender, cid string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM messages WHERE sender=? AND cid=?`, sender, cid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}
