package store_test

import (
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/broker/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) func() (store.Store, error) {
		dir := t.TempDir()
		return func() (store.Store, error) { return store.Open(dir) }
	})
}
