package shot

import "image"

// Action is what the overlay must do after an input event.
type Action int

// Actions.
const (
	Nothing Action = iota
	Redraw
	Copy   // Enter, Ctrl+C or a double click inside the selection
	Save   // Ctrl+S
	Cancel // Esc or a right click
)

// Key is a key the overlay reacts to, named without a toolkit.
type Key int

// Keys.
const (
	KeyOther Key = iota
	KeyLeft
	KeyRight
	KeyUp
	KeyDown
	KeyEnter
	KeyEscape
	KeyA
	KeyC
	KeyS
)

// Mods are the modifier keys held.
type Mods uint8

// Modifiers.
const (
	Shift Mods = 1 << iota
	Ctrl
)

// Mouse buttons as X11 numbers them.
const (
	ButtonLeft  = 1
	ButtonRight = 3
)

// Controller turns the overlay's pointer and key events into a selection
// and actions, so the GTK layer only draws and copies. Coordinates are root
// device pixels.
type Controller struct {
	Sel Selection
	Tol int // handle half size in device pixels

	grabbed Handle // handle being dragged; None when no button is down
	making  bool   // dragging out a new selection
	anchor  image.Point
	start   Selection
}

// NewController starts with nothing selected on a screen of bounds.
func NewController(bounds image.Rectangle, tol int) *Controller {
	return &Controller{Sel: Selection{Bounds: bounds}, Tol: max(1, tol)}
}

// Press handles a button press; double is true for the second press of a
// double click.
func (c *Controller) Press(p image.Point, button int, double bool) Action {
	if button == ButtonRight {
		return Cancel
	}
	if button != ButtonLeft {
		return Nothing
	}
	h := c.Sel.HitTest(p, c.Tol)
	if double && h == Inside {
		return Copy
	}
	c.anchor, c.start = p, c.Sel
	if h == None {
		c.making, c.grabbed = true, None
		c.Sel = FromDrag(p, p, c.Sel.Bounds)
		return Redraw
	}
	c.making, c.grabbed = false, h
	return Nothing
}

// Motion handles a pointer move; it changes the selection only while a
// button is down.
func (c *Controller) Motion(p image.Point) Action {
	switch {
	case c.making:
		c.Sel = FromDrag(c.anchor, p, c.Sel.Bounds)
	case c.grabbed != None:
		c.Sel = c.start.Drag(c.grabbed, p.Sub(c.anchor))
	default:
		return Nothing
	}
	return Redraw
}

// Release ends a drag; a click that selected a single pixel selects nothing.
func (c *Controller) Release(p image.Point) Action {
	if !c.making && c.grabbed == None {
		return Nothing
	}
	c.Motion(p)
	if c.making && c.Sel.Rect.Dx() <= 1 && c.Sel.Rect.Dy() <= 1 {
		c.Sel.Rect = image.Rectangle{}
	}
	c.making, c.grabbed = false, None
	return Redraw
}

// Cursor is the handle under p, for the pointer's shape.
func (c *Controller) Cursor(p image.Point) Handle { return c.Sel.HitTest(p, c.Tol) }

// KeyPress handles a key: arrows move by a pixel, Shift+arrows resize,
// Ctrl+A selects all, Enter and Ctrl+C copy, Ctrl+S saves, Esc cancels.
func (c *Controller) KeyPress(k Key, m Mods) Action {
	has := !c.Sel.Rect.Empty()
	var dx, dy int
	switch k {
	case KeyEscape:
		return Cancel
	case KeyA:
		if m&Ctrl != 0 {
			c.Sel = c.Sel.All()
			return Redraw
		}
		return Nothing
	case KeyEnter:
		if has {
			return Copy
		}
		return Nothing
	case KeyC, KeyS:
		if m&Ctrl == 0 || !has {
			return Nothing
		}
		if k == KeyC {
			return Copy
		}
		return Save
	case KeyLeft:
		dx = -1
	case KeyRight:
		dx = 1
	case KeyUp:
		dy = -1
	case KeyDown:
		dy = 1
	default:
		return Nothing
	}
	if !has {
		return Nothing
	}
	if m&Shift != 0 {
		c.Sel = c.Sel.Resize(dx, dy)
	} else {
		c.Sel = c.Sel.Move(dx, dy)
	}
	return Redraw
}
