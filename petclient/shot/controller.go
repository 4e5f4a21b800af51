package shot

import (
	"image"
	"image/color"
	"strings"
)

// Action is what the overlay must do after an input event.
type Action int

// Actions.
const (
	Nothing Action = iota
	Redraw
	Copy   // Enter, Ctrl+C or a double click inside the selection
	Save   // Ctrl+S
	Cancel // Esc or a right click
	Pin    // the toolbar's pin button or Ctrl+P
	// EditText asks for a text annotation's text at TextAt (the text tool's
	// click); the UI hands it to AddText.
	EditText
	PickColour // the toolbar's custom colour button; the UI calls SetColour
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
	KeyR // rectangle
	KeyT // text
	KeyP // pixelate; Ctrl+P pins
	KeyZ // Ctrl+Z undoes, Ctrl+Shift+Z redoes
	KeyY // Ctrl+Y redoes
	KeyPlus
	KeyMinus
	Key1 // Key1 to Key6 pick a preset colour
	Key2
	Key3
	Key4
	Key5
	Key6
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

// Controller turns the overlay's pointer and key events into a selection,
// annotations and actions, so the GTK layer only draws and copies.
// Coordinates are root device pixels; annotations stay where they were
// drawn on the screen when the selection moves.
type Controller struct {
	Sel     Selection
	Tol     int               // handle half size in device pixels
	Scale   float64           // device pixels per logical pixel: toolbar and marks
	Screens []image.Rectangle // monitors, to keep the toolbar on one
	Pen     Pen
	Hist    History
	TextAt  image.Point // where the text asked for by EditText goes
	Plain   bool        // no toolbar or tool keys: picking an area for another tool

	draft   Annotation // the mark being dragged out
	drawing bool

	grabbed Handle // handle being dragged; None when no button is down
	making  bool   // dragging out a new selection
	anchor  image.Point
	start   Selection
}

// NewController starts with nothing selected on a screen of bounds.
func NewController(bounds image.Rectangle, tol int) *Controller {
	return &Controller{Sel: Selection{Bounds: bounds}, Tol: max(1, tol), Scale: 1, Pen: DefaultPen()}
}

// Toolbar is the annotation toolbar beside the selection; none (no
// buttons) while nothing is selected or a selection is being dragged out.
func (c *Controller) Toolbar() Toolbar {
	if c.Sel.Rect.Empty() || c.making || c.Plain {
		return Toolbar{}
	}
	return PlaceToolbar(c.Sel.Rect, c.Screens, c.Sel.Bounds, c.Scale)
}

// Draft is the mark being dragged out, nil when none.
func (c *Controller) Draft() Annotation { return c.draft }

// Button does what a toolbar button does.
func (c *Controller) Button(b Button) Action {
	if t, ok := ToolOf(b.ID); ok {
		if c.Pen.Tool == t {
			t = ToolNone // a second click puts the tool down
		}
		c.Pen.Tool = t
		return Redraw
	}
	switch b.ID {
	case BtnUndo:
		c.Hist.Undo()
	case BtnRedo:
		c.Hist.Redo()
	case BtnColour:
		c.Pen.Colour = Colours[min(max(b.Arg, 0), len(Colours)-1)]
	case BtnWidth:
		c.Pen.Width = Widths[min(max(b.Arg, 0), len(Widths)-1)]
	case BtnCustomColour:
		return PickColour
	case BtnPin:
		return Pin
	case BtnSave:
		return Save
	case BtnCopy:
		return Copy
	default:
		return Nothing
	}
	return Redraw
}

// SetColour is the custom colour the user picked.
func (c *Controller) SetColour(col color.RGBA) { c.Pen.Colour = col }

// AddText adds the text asked for by EditText; blank text adds nothing.
func (c *Controller) AddText(text string) Action {
	if strings.TrimSpace(text) == "" {
		return Redraw
	}
	c.Hist.Add(Text{At: c.TextAt, Text: text, Colour: c.Pen.Colour, Size: TextSize(c.Pen.Width)})
	return Redraw
}

// Result is the selection with its annotations at full resolution; text
// is drawn by text (nil: the bundled font). The mark being dragged is left
// out unless draft.
func (c *Controller) Result(img image.Image, text TextDrawer, draft bool) (*image.RGBA, error) {
	anns := c.Hist.Annotations()
	if draft && c.draft != nil {
		anns = append(anns, c.draft)
	}
	r := c.Sel.Rect.Intersect(img.Bounds())
	return RenderWith(Crop(img, r), Moved(anns, image.Pt(-r.Min.X, -r.Min.Y)), c.Scale, text)
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
	if b, ok := c.Toolbar().Hit(p); ok {
		return c.Button(b)
	}
	h := c.Sel.HitTest(p, c.Tol)
	if c.Pen.Tool != ToolNone && !c.Sel.Rect.Empty() {
		switch {
		case h == None:
			return Nothing // a stray click must not lose the marks
		case h != Inside:
		case c.Pen.Tool == ToolText:
			c.TextAt = p
			return EditText
		default:
			c.drawing, c.anchor = true, p
			c.draft = c.Pen.mark(p, p)
			return Redraw
		}
	}
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
	case c.drawing:
		c.draft = c.Pen.mark(c.anchor, clampPoint(p, c.Sel.Rect))
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
	if c.drawing {
		c.Motion(p)
		if worth(c.draft) {
			c.Hist.Add(c.draft)
		}
		c.drawing, c.draft = false, nil
		return Redraw
	}
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
// Ctrl+A selects all, Enter and Ctrl+C copy, Ctrl+S saves, Esc cancels;
// with a selection R, A, T and P pick the rectangle, arrow, text and
// pixelate tools, 1-6 a colour, + and - the width, Ctrl+Z undoes,
// Ctrl+Shift+Z and Ctrl+Y redo, Ctrl+P pins.
func (c *Controller) KeyPress(k Key, m Mods) Action {
	has := !c.Sel.Rect.Empty()
	if has && !c.Plain {
		if a, ok := c.toolKey(k, m); ok {
			return a
		}
	}
	var dx, dy int
	switch k {
	case KeyEscape:
		return Cancel
	case KeyA:
		if m&Ctrl != 0 {
			c.Sel = c.Sel.All()
			return Redraw
		}
		if !has || c.Plain {
			return Nothing
		}
		return c.Button(Button{ID: BtnArrow})
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

// toolKey handles the annotation keys; false for the others.
func (c *Controller) toolKey(k Key, m Mods) (Action, bool) {
	ctrl := m&Ctrl != 0
	switch {
	case k == KeyR && !ctrl:
		return c.Button(Button{ID: BtnBox}), true
	case k == KeyT && !ctrl:
		return c.Button(Button{ID: BtnText}), true
	case k == KeyP && ctrl:
		return Pin, true
	case k == KeyP:
		return c.Button(Button{ID: BtnMosaic}), true
	case k == KeyZ && ctrl && m&Shift != 0, k == KeyY && ctrl:
		return c.Button(Button{ID: BtnRedo}), true
	case k == KeyZ && ctrl:
		return c.Button(Button{ID: BtnUndo}), true
	case k >= Key1 && k <= Key6 && !ctrl:
		return c.Button(Button{ID: BtnColour, Arg: int(k - Key1)}), true
	case k == KeyPlus || k == KeyMinus:
		i := 0
		for i < len(Widths)-1 && Widths[i] < c.Pen.Width {
			i++
		}
		if k == KeyPlus {
			i = min(i+1, len(Widths)-1)
		} else {
			i = max(i-1, 0)
		}
		return c.Button(Button{ID: BtnWidth, Arg: i}), true
	}
	return Nothing, false
}
