package main

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Client names for -clients.
const (
	clientRaw  = "raw"
	clientPaho = "paho"
)

// client is one load-generator connection: the raw client (mqttc.go) or
// paho, the client the pet itself uses.
type client interface {
	publish(topic string, qos byte, payload []byte) error
	subscribe(qos byte, timeout time.Duration, filters ...string) error
	// acked counts PUBACKs received for this client's QoS 1 publishes.
	acked() int64
	// lost is closed when the connection has ended.
	lost() <-chan struct{}
	close()
	drop()
}

// dialClient connects with the named client and waits for CONNACK.
func dialClient(name string, o connectOpts, onMsg onMessage) (client, error) {
	switch name {
	case clientRaw:
		return dial(o, onMsg)
	case clientPaho:
		return dialPaho(o, onMsg)
	}
	return nil, fmt.Errorf("unknown client %q (want %s or %s)", name, clientRaw, clientPaho)
}

// pahoConn is a paho client set up as the pet sets up its own (MQTT 3.1.1,
// no automatic reconnects, handlers called in order), with a clean session
// like the raw client's.
type pahoConn struct {
	pc   paho.Client
	acks atomic.Int64
	// toks feeds the QoS 1 publish tokens to a waiter that counts their
	// PUBACKs in order, so publish never blocks on an acknowledgement.
	toks   chan paho.Token
	waited chan struct{}
	gone   chan struct{}
	once   sync.Once
}

func dialPaho(o connectOpts, onMsg onMessage) (*pahoConn, error) {
	c := &pahoConn{toks: make(chan paho.Token, 4096), waited: make(chan struct{}), gone: make(chan struct{})}
	d := &net.Dialer{Timeout: o.timeout}
	if o.local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(o.local)}
	}
	opts := paho.NewClientOptions().AddBroker("tcp://" + o.addr).SetClientID(o.clientID).
		SetUsername(o.user).SetPassword(o.pass).
		SetCleanSession(o.clean).SetResumeSubs(false).
		SetAutoReconnect(false).SetConnectRetry(false).
		SetProtocolVersion(4).
		SetConnectTimeout(o.timeout).SetWriteTimeout(o.timeout).
		SetKeepAlive(time.Duration(o.keepalive) * time.Second).SetPingTimeout(10 * time.Second).
		SetDialer(d).
		SetOrderMatters(true).
		SetConnectionLostHandler(func(paho.Client, error) { c.end() })
	if onMsg != nil {
		opts.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { onMsg(m.Topic(), m.Payload()) })
	}
	c.pc = paho.NewClient(opts)
	tok := c.pc.Connect()
	if !tok.WaitTimeout(o.timeout + time.Second) {
		c.pc.Disconnect(0)
		return nil, errors.New("no CONNACK")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	go c.countAcks()
	return c, nil
}

func (c *pahoConn) countAcks() {
	defer close(c.waited)
	for {
		var t paho.Token
		select {
		case t = <-c.toks:
		case <-c.gone:
			return
		}
		select {
		case <-t.Done():
			if t.Error() == nil {
				c.acks.Add(1)
			}
		case <-c.gone:
			return
		}
	}
}

func (c *pahoConn) end() { c.once.Do(func() { close(c.gone) }) }

func (c *pahoConn) publish(topic string, qos byte, payload []byte) error {
	select {
	case <-c.gone:
		return errors.New("connection lost")
	default:
	}
	t := c.pc.Publish(topic, qos, false, payload)
	if qos == 0 {
		return nil
	}
	select {
	case c.toks <- t:
		return nil
	case <-c.gone:
		return errors.New("connection lost")
	}
}

// subscribe fails if any filter was refused (0x80), as the raw client's.
func (c *pahoConn) subscribe(qos byte, timeout time.Duration, filters ...string) error {
	want := make(map[string]byte, len(filters))
	for _, f := range filters {
		want[f] = qos
	}
	t := c.pc.SubscribeMultiple(want, nil)
	if !t.WaitTimeout(timeout) {
		return errors.New("no SUBACK")
	}
	if err := t.Error(); err != nil {
		return err
	}
	for f, code := range t.(*paho.SubscribeToken).Result() {
		if code >= 0x80 {
			return fmt.Errorf("subscription to %s refused", f)
		}
	}
	return nil
}

func (c *pahoConn) acked() int64 { return c.acks.Load() }

func (c *pahoConn) lost() <-chan struct{} { return c.gone }

// close sends DISCONNECT (waiting a moment for paho's queue) and stops the
// acknowledgement counter.
func (c *pahoConn) close() {
	c.pc.Disconnect(100)
	c.end()
	<-c.waited
}

func (c *pahoConn) drop() {
	c.pc.Disconnect(0)
	c.end()
	<-c.waited
}
