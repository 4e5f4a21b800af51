package capture

import "testing"

// Two overlapping grabs: the pets come back only after both end, whichever
// ends first, and a repeated end changes nothing.
func TestOverlappingGrabs(t *testing.T) {
	for _, firstEnds := range []int{0, 1} {
		var c Counter
		shown := true
		hides := 0
		hide := func() { shown = false; hides++ }
		show := func() { shown = true }
		ends := []func(){c.Begin(hide, show), c.Begin(hide, show)}
		if shown || hides != 1 || !c.Active() {
			t.Fatalf("during both grabs: shown=%v hides=%d active=%v", shown, hides, c.Active())
		}
		ends[firstEnds]()
		ends[firstEnds]()
		if shown || !c.Active() {
			t.Fatalf("grab %d ended, the other still runs: shown=%v active=%v", firstEnds, shown, c.Active())
		}
		ends[1-firstEnds]()
		if !shown || c.Active() {
			t.Fatalf("both ended: shown=%v active=%v", shown, c.Active())
		}
		// A later grab hides again.
		end := c.Begin(hide, show)
		if shown || hides != 2 {
			t.Fatalf("third grab: shown=%v hides=%d", shown, hides)
		}
		end()
	}
}
