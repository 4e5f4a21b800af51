package conn

// parser follows MQTT packet boundaries in the bytes read, to take whole
// PUBACKs out and to notice PUBLISHes and the end of the first packet.
type parser struct {
	state  parseState
	length int  // inLength: the remaining length so far; inBody: bytes still to pass
	shift  uint // inLength: where the next 7 bits of the length go
}

type parseState uint8

const (
	atPacket parseState = iota // the next byte starts a packet
	inLength                   // reading a passed packet's remaining length
	inBody                     // passing a packet's body
	lost                       // the stream is not MQTT: pass it all, mochi will refuse it
)

// events is what one read brought.
type events struct {
	took      bool // a PUBACK was taken
	published bool // a PUBLISH began
	ended     bool // a packet ended
}

// publishType is a PUBLISH's first byte's high nibble.
const publishType = 3

// pubackV3 is the first two bytes of an MQTT 3.1.1 PUBACK: type 4, no flags,
// remaining length 2 (the packet id).
const pubackV3 = 0x40

// filter compacts b to the bytes mochi should see and returns how many
// remain; with ack, each PUBACK found whole in b goes to it instead.
func (s *parser) filter(b []byte, ack func(uint16)) (kept int, ev events) {
	w := 0
	for r := 0; r < len(b); {
		switch s.state {
		case atPacket:
			if ack != nil && b[r] == pubackV3 && r+4 <= len(b) && b[r+1] == 2 {
				ack(uint16(b[r+2])<<8 | uint16(b[r+3]))
				r += 4
				ev.took = true
				continue
			}
			ev.published = ev.published || b[r]>>4 == publishType
			s.state, s.length, s.shift = inLength, 0, 0
			b[w] = b[r]
			w, r = w+1, r+1
		case inLength:
			v := b[r]
			b[w] = v
			w, r = w+1, r+1
			s.length |= int(v&0x7f) << s.shift
			s.shift += 7
			switch {
			case v&0x80 != 0 && s.shift >= 28:
				s.state = lost // more than four length bytes
			case v&0x80 != 0:
			case s.length == 0:
				s.state, ev.ended = atPacket, true
			default:
				s.state = inBody
			}
		case inBody:
			k := min(s.length, len(b)-r)
			copy(b[w:], b[r:r+k])
			w, r = w+k, r+k
			s.length -= k
			if s.length == 0 {
				s.state, ev.ended = atPacket, true
			}
		case lost:
			w += copy(b[w:], b[r:])
			r = len(b)
		}
	}
	return w, ev
}
