package postgres

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tachikoma-pet/tachikoma/broker/internal/pgtest"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/broker/store/storetest"
)

// pg is the package's PostgreSQL server, started by the first test.
var pg pgtest.Lazy

func TestMain(m *testing.M) { os.Exit(pg.Main(m)) }

func TestConformance(t *testing.T) {
	s := pg.Need(t)
	storetest.Run(t, func(t testing.TB) func() (store.Store, error) {
		url := s.NewDB(t)
		return func() (store.Store, error) { return Open(context.Background(), url) }
	})
}

// TestMigrations: nodes starting together on an empty database take turns
// making the schema, and a database from a newer broker is refused.
func TestMigrations(t *testing.T) {
	url := pg.Need(t).NewDB(t)
	ctx := context.Background()
	const nodes = 3
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, url)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	rows, _ := stores[0].pool.Query(ctx, `SELECT version FROM schema_versions ORDER BY version`)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != len(migrations)-1 || versions[len(versions)-1] != len(migrations)-1 {
		t.Fatalf("schema versions %v, want 1..%d once each", versions, len(migrations)-1)
	}
	if _, err := stores[0].pool.Exec(ctx, `INSERT INTO schema_versions(version) VALUES ($1)`, len(migrations)); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, url); err == nil || !strings.Contains(err.Error(), "upgrade the broker") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a newer schema: %v", err)
	}
}
