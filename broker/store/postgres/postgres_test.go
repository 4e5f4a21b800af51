package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/internal/pgtest"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/broker/store/storetest"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

func TestConformance(t *testing.T) {
	s := pgtest.Need(t, srv)
	storetest.Run(t, func(t testing.TB) func() (store.Store, error) {
		url := s.NewDB(t)
		return func() (store.Store, error) { return Open(context.Background(), url) }
	})
}
