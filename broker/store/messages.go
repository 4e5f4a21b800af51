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

// messageLog appends messages in batches: one transaction for everything
// that arrived while the previous commit ran (group commit), so a busy room
// costs one fsync-free WAL append per batch instead of per message.
type messageLog struct {
	db *sql.DB
	// One connection and one prepared INSERT for every batch: preparing per
	// transaction was a visible cost of a DM (docs/PERFORMANCE.md).
	conn   *sql.Conn
	insert *sql.Stmt
	nextID atomic.Int64
	in     chan pending
	done   chan struct{}
	mu     sync.RWMutex // held for reading while sending on in; close takes it for writing
	closed bool

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
	then func(error) // instead of ack, for AppendMessageThen
}

const maxBatch = 512

func newMessageLog(db *sql.DB) (*messageLog, error) {
	var max sql.NullInt64
	if err := db.QueryRow(`SELECT MAX(id) FROM messages`).Scan(&max); err != nil {
		return nil, fmt.Errorf("message log: %w", err)
	}
	l := &messageLog{db: db, in: make(chan pending, 4096), done: make(chan struct{})}
	l.doneCond = sync.NewCond(&l.doneMu)
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
	l.nextID.Store(max.Int64)
	go l.run()
	return l, nil
}

// ErrClosed is returned for appends after Close.
var ErrClosed = errors.New("store closed")

// NextMessageID reserves the id of a message about to be appended, so that
// it can be delivered stamped with its id before the batch commits.
func (s *Store) NextMessageID() int64 { return s.log.nextID.Add(1) }

// Commit is a message handed to the log.
type Commit struct{ ack chan error }

// Wait returns once the message is committed (or failed to be).
func (c Commit) Wait() error { return <-c.ack }

// AppendMessage hands m (whose ID came from NextMessageID) to the log and
// returns at once; the commit follows within one batch. The caller may
// deliver m meanwhile and Wait before acknowledging it to its sender.
func (s *Store) AppendMessage(m Message) (Commit, error) {
	p := pending{m: m, ack: make(chan error, 1)}
	return Commit{ack: p.ack}, s.log.append(p)
}

// AppendMessageThen is AppendMessage for a caller that does not wait: then
// is called with the commit's outcome from the log's goroutine, so it must
// not block, and it saves a goroutine per message that nobody acknowledges.
func (s *Store) AppendMessageThen(m Message, then func(error)) error {
	return s.log.append(pending{m: m, then: then})
}

func (l *messageLog) append(p pending) error {
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

func (l *messageLog) run() {
	defer close(l.done)
	defer func() {
		l.doneMu.Lock()
		l.finished = true
		l.doneCond.Broadcast()
		l.doneMu.Unlock()
	}()
	batch := make([]pending, 0, maxBatch)
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
		start := time.Now()
		err := l.commit(batch)
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

func (l *messageLog) commit(batch []pending) error {
	ctx := context.Background()
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
	for _, p := range batch {
		m := p.m
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

// ObserveCommits has fn called after each history commit with its number of
// messages, duration and outcome, from the log's goroutine: it must not block.
func (s *Store) ObserveCommits(fn func(n int, took time.Duration, err error)) {
	s.log.observe.Store(&fn)
}

// HistoryBacklog is the number of messages waiting for their commit.
func (s *Store) HistoryBacklog() int { return len(s.log.in) }

// waitProcessed returns once every message appended so far is committed
// (or has failed).
func (l *messageLog) waitProcessed() {
	target := l.enqueued.Load()
	l.doneMu.Lock()
	for l.processed < target && !l.finished {
		l.doneCond.Wait()
	}
	l.doneMu.Unlock()
}

func (l *messageLog) close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.in)
	}
	l.mu.Unlock()
	<-l.done
	l.insert.Close()
	l.conn.Close()
}

// History returns up to limit messages of conv with id < before (before <= 0:
// the newest), newest first.
func (s *Store) History(ctx context.Context, conv string, before int64, limit int) ([]Message, error) {
	return s.HistorySince(ctx, conv, before, 0, limit)
}

// HistorySince is History limited to messages with an id above since (a
// SinceID): a range on the (conv, id) index, however long the history. It
// includes every message appended before the call.
func (s *Store) HistorySince(ctx context.Context, conv string, before, since int64, limit int) ([]Message, error) {
	s.log.waitProcessed()
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
func (s *Store) EachCID(ctx context.Context, sender string, each func(cid string) bool) error {
	rows, err := s.db.QueryContext(ctx, `SELECT cid FROM messages WHERE sender=? AND cid IS NOT NULL`, sender)
	if err != nil {
		return fmt.Errorf("cids of %s: %w", sender, err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid string
		if err := rows.Scan(&cid); err != nil {
			return fmt.Errorf("cids of %s: %w", sender, err)
		}
		if !each(cid) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cids of %s: %w", sender, err)
	}
	return nil
}

// FindByCID returns the id of sender's stored message with cid, or 0.
func (s *Store) FindByCID(ctx context.Context, sender, cid string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM messages WHERE sender=? AND cid=?`, sender, cid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}
