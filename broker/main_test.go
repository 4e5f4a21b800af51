package broker_test

import (
	"os"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/internal/pgtest"
)

// pg is a PostgreSQL server started by the first test that needs one.
var pg pgtest.Lazy

func TestMain(m *testing.M) { os.Exit(pg.Main(m)) }
