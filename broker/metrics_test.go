package broker

import (
	"os/exec"
	"strings"
	"testing"
)

// The pet hosts the broker built with the nometrics tag: it must compile, and
// link neither the Prometheus client nor protobuf.
func TestNoMetricsBuild(t *testing.T) {
	if out, err := exec.Command("go", "build", "-tags", "nometrics", ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags nometrics: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "list", "-tags", "nometrics", "-deps", "../petclient/hosting").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/prometheus/") || strings.HasPrefix(dep, "google.golang.org/protobuf") {
			t.Errorf("the pet's hosted broker links %s", dep)
		}
	}
}
