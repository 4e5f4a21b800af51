package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/internal/pgtest"
	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// BenchmarkHistory compares the two stores on what chat costs them:
// appending messages from many senders at once (group commit), and reading
// a 50-message page of a long conversation. PostgreSQL runs durable here
// (fsync on), on loopback TCP, as a cluster's database would.
func BenchmarkHistory(b *testing.B) {
	pgSrv, err := pgtest.Start("fsync=on", "full_page_writes=on")
	if err != nil {
		b.Skip(err)
	}
	defer pgSrv.Stop()
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store {
			s, err := store.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) store.Store {
			s, err := Open(context.Background(), pgSrv.NewDB(b))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, st := range stores {
		b.Run(st.name+"/insert", func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			benchInsert(b, s, 16)
		})
		b.Run(st.name+"/nextid", func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			for b.Loop() {
				if _, err := s.NextMessageID(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(st.name+"/page", func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			const n = 20000
			ids := fill(b, s, n)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				before := ids[50+(i*7919)%(n-50)]
				ms, err := s.History(ctx, "r/bench", before, 50)
				if err != nil || len(ms) != 50 {
					b.Fatalf("page before %d: %d messages, %v", before, len(ms), err)
				}
			}
		})
	}
}

// benchInsert appends b.N messages from senders goroutines into one
// conversation and waits for every commit.
func benchInsert(b *testing.B, s store.Store, senders int) {
	ctx := context.Background()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/senders + 1
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			commits := make([]store.Commit, 0, per)
			for i := range per {
				id, err := s.NextMessageID(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				c, err := s.AppendMessage(store.Message{ID: id, Conv: "r/bench", Sender: fmt.Sprint("u", w), Nick: "昵称", Text: fmt.Sprint("消息 ", i), TS: 1})
				if err != nil {
					b.Error(err)
					return
				}
				commits = append(commits, c)
			}
			for _, c := range commits {
				if err := c.Wait(); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

func fill(b *testing.B, s store.Store, n int) []int64 {
	ctx := context.Background()
	ids := make([]int64, n)
	commits := make([]store.Commit, n)
	for i := range n {
		id, err := s.NextMessageID(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
		if commits[i], err = s.AppendMessage(store.Message{ID: id, Conv: "r/bench", Sender: "u", Nick: "n", Text: fmt.Sprint("消息 ", i), TS: 1}); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range commits {
		if err := c.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}
