// Package capture counts the screenshots in progress, so pets hidden for
// overlapping grabs come back only when the last grab ends.
package capture

// Counter is the number of grabs running; the zero value has none. It is
// not safe for concurrent use: the pet calls it on the GTK thread.
type Counter struct{ n int }

// Begin starts a grab, calling hide when it is the first; the returned end
// calls show when it ends the last grab. Calling end twice ends it once.
func (c *Counter) Begin(hide, show func()) (end func()) {
	c.n++
	if c.n == 1 {
		hide()
	}
	ended := false
	return func() {
		if ended {
			return
		}
		ended = true
		c.n--
		if c.n == 0 {
			show()
		}
	}
}

// Active reports whether a grab is running.
func (c *Counter) Active() bool { return c.n > 0 }
