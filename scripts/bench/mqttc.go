package main

// A minimal MQTT 3.1.1 client: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH at
// QoS 0 and 1 (PUBACK both ways), PINGREQ, DISCONNECT. One goroutine per
// connection (the reader) and a small buffered writer behind a mutex: paho
// keeps several goroutines, channels and a message store per client, which
// is too heavy to hold 20,000 connections from the same 2-core machine as
// the broker (see docs/PERFORMANCE.md for the measured difference).

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	pConnect     = 1
	pConnack     = 2
	pPublish     = 3
	pPuback      = 4
	pSubscribe   = 8
	pSuback      = 9
	pPingreq     = 12
	pPingresp    = 13
	pDisconnect  = 14
	readBufSize  = 1024
	writeBufSize = 1024
)

// onMessage is called from the connection's reader goroutine.
type onMessage func(topic string, payload []byte)

type mqttConn struct {
	c       net.Conn
	wmu     sync.Mutex
	w       *bufio.Writer
	nextID  uint16
	onMsg   onMessage
	acks    chan uint16 // PUBACKs for our QoS 1 publishes (nil: counted only)
	subacks chan []byte
	pubAcks atomic.Int64
	closed  chan struct{}
	err     atomic.Value
}

type connectOpts struct {
	addr      string
	local     string // local IP to bind ("" = any)
	clientID  string
	user      string
	pass      string
	clean     bool
	keepalive uint16
	timeout   time.Duration
}

// errRefused carries a CONNACK return code.
type errRefused byte

func (e errRefused) Error() string {
	return fmt.Sprintf("connection refused, CONNACK code %d", byte(e))
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func appendRemLen(b []byte, n int) []byte {
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

func packet(hdr byte, body []byte) []byte {
	out := make([]byte, 0, len(body)+5)
	out = append(out, hdr)
	out = appendRemLen(out, len(body))
	return append(out, body...)
}

// dial connects and waits for CONNACK; the reader starts afterwards.
func dial(o connectOpts, onMsg onMessage) (*mqttConn, error) {
	d := net.Dialer{Timeout: o.timeout}
	if o.local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(o.local)}
	}
	nc, err := d.Dial("tcp", o.addr)
	if err != nil {
		return nil, err
	}
	flags := byte(0)
	if o.clean {
		flags |= 0x02
	}
	body := appendString(nil, "MQTT")
	body = append(body, 4)
	if o.user != "" {
		flags |= 0x80
		if o.pass != "" {
			flags |= 0x40
		}
	}
	body = append(body, flags)
	body = binary.BigEndian.AppendUint16(body, o.keepalive)
	body = appendString(body, o.clientID)
	if o.user != "" {
		body = appendString(body, o.user)
		if o.pass != "" {
			body = appendString(body, o.pass)
		}
	}
	if o.timeout > 0 {
		nc.SetDeadline(time.Now().Add(o.timeout))
	}
	if _, err := nc.Write(packet(pConnect<<4, body)); err != nil {
		nc.Close()
		return nil, err
	}
	r := bufio.NewReaderSize(nc, readBufSize)
	typ, b, err := readPacket(r)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("waiting for CONNACK: %w", err)
	}
	if typ>>4 != pConnack || len(b) < 2 {
		nc.Close()
		return nil, fmt.Errorf("expected CONNACK, got packet type %d", typ>>4)
	}
	if b[1] != 0 {
		nc.Close()
		return nil, errRefused(b[1])
	}
	nc.SetDeadline(time.Time{})
	c := &mqttConn{c: nc, w: bufio.NewWriterSize(nc, writeBufSize), onMsg: onMsg,
		subacks: make(chan []byte, 1), closed: make(chan struct{})}
	go c.readLoop(r)
	return c, nil
}

func readPacket(r *bufio.Reader) (byte, []byte, error) {
	h, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, mul := 0, 1
	for i := 0; ; i++ {
		d, err := r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n += int(d&0x7f) * mul
		if d&0x80 == 0 {
			break
		}
		if i == 3 {
			return 0, nil, errors.New("malformed remaining length")
		}
		mul *= 128
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, nil, err
	}
	return h, b, nil
}

func (c *mqttConn) readLoop(r *bufio.Reader) {
	defer close(c.closed)
	for {
		h, b, err := readPacket(r)
		if err != nil {
			c.err.Store(err)
			c.c.Close()
			return
		}
		switch h >> 4 {
		case pPublish:
			if len(b) < 2 {
				continue
			}
			tl := int(binary.BigEndian.Uint16(b))
			if len(b) < 2+tl {
				continue
			}
			topic := string(b[2 : 2+tl])
			rest := b[2+tl:]
			if qos := (h >> 1) & 3; qos > 0 && len(rest) >= 2 {
				id := binary.BigEndian.Uint16(rest)
				rest = rest[2:]
				c.write(nil, int(id))
			}
			if c.onMsg != nil {
				c.onMsg(topic, rest)
			}
		case pPuback:
			if len(b) >= 2 {
				c.pubAcks.Add(1)
				if c.acks != nil {
					select {
					case c.acks <- binary.BigEndian.Uint16(b):
					default:
					}
				}
			}
		case pSuback:
			select {
			case c.subacks <- b:
			default:
			}
		}
	}
}

// write sends a packet; id >= 0 appends a packet id to a PUBACK body.
func (c *mqttConn) write(p []byte, id int) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if id >= 0 { // PUBACK: fixed 4 bytes
		p = []byte{pPuback << 4, 2, byte(id >> 8), byte(id)}
	}
	if _, err := c.w.Write(p); err != nil {
		return err
	}
	return c.w.Flush()
}

// id returns the next packet id (never 0).
func (c *mqttConn) id() uint16 {
	c.wmu.Lock()
	c.nextID++
	if c.nextID == 0 {
		c.nextID = 1
	}
	id := c.nextID
	c.wmu.Unlock()
	return id
}

// subscribe sends SUBSCRIBE for filters at qos and waits for the SUBACK;
// it fails if any filter was refused (0x80).
func (c *mqttConn) subscribe(qos byte, timeout time.Duration, filters ...string) error {
	body := binary.BigEndian.AppendUint16(nil, c.id())
	for _, f := range filters {
		body = appendString(body, f)
		body = append(body, qos)
	}
	if err := c.write(packet(pSubscribe<<4|0x02, body), -1); err != nil {
		return err
	}
	select {
	case b := <-c.subacks:
		for _, code := range b[2:] {
			if code == 0x80 {
				return fmt.Errorf("subscription to %v refused", filters)
			}
		}
		return nil
	case <-c.closed:
		return fmt.Errorf("connection closed while subscribing: %v", c.err.Load())
	case <-time.After(timeout):
		return errors.New("no SUBACK")
	}
}

// publish sends a PUBLISH; QoS 1 publishes are acknowledged asynchronously
// (count in pubAcks).
func (c *mqttConn) publish(topic string, qos byte, payload []byte) error {
	body := appendString(make([]byte, 0, len(topic)+len(payload)+6), topic)
	if qos > 0 {
		body = binary.BigEndian.AppendUint16(body, c.id())
	}
	body = append(body, payload...)
	return c.write(packet(pPublish<<4|qos<<1, body), -1)
}

func (c *mqttConn) acked() int64 { return c.pubAcks.Load() }

func (c *mqttConn) lost() <-chan struct{} { return c.closed }

func (c *mqttConn) ping() error { return c.write([]byte{pPingreq << 4, 0}, -1) }

// close sends DISCONNECT and closes the socket.
func (c *mqttConn) close() {
	_ = c.write([]byte{pDisconnect << 4, 0}, -1)
	c.c.Close()
	<-c.closed
}

// drop closes the socket without DISCONNECT.
func (c *mqttConn) drop() {
	c.c.Close()
	<-c.closed
}
