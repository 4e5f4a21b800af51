package postgres

import (
	"context"
	"os"
	"testing"

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
