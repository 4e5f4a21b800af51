package broker

import (
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/password"
)

// An unknown user must cost a full verification, so the lazily made dummy
// hash has to be a real hash at the default cost.
func TestDummyHashIsARealHash(t *testing.T) {
	h := dummyHash()
	if err := password.Verify("tachikoma-dummy-password", h); err != nil {
		t.Fatalf("dummy hash %q does not verify its own password: %v", h, err)
	}
	if err := password.Verify("whatever1", h); err == nil {
		t.Fatal("dummy hash accepts any password")
	}
	if h2 := dummyHash(); h2 != h {
		t.Fatal("dummy hash made twice")
	}
}
