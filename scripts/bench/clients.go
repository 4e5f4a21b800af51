package main

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// env is what every scenario needs: options, tokens and where to connect.
type env struct {
	o      *options
	tokens []string // resume tokens by user index
}

// creds are the CONNECT username and password of user i: a resume token for
// our broker, nothing (anonymous) for the peers.
func (e *env) creds(kind string, i int) (string, string) {
	if kind != kindOurs {
		return "", ""
	}
	return userName(i), e.tokens[i]
}

// localIP spreads client sockets over 16 loopback source addresses so that
// tens of thousands of connections (and a reconnect storm) never run out of
// ephemeral ports.
func localIP(i int) string { return fmt.Sprintf("127.0.1.%d", 1+i%16) }

type connStats struct {
	N       int     `json:"n"`
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"per_s"`
}

// connectMany connects users idx with the named client (in parallel,
// workers at a time), subscribing each to filters(i) at qos. Any failure
// aborts.
func (e *env) connectMany(srv *server, cl string, idx []int, prefix string, filters func(i int) []string, qos byte,
	onMsg func(i int) onMessage, workers int) ([]client, connStats, error) {
	conns := make([]client, len(idx))
	t0 := time.Now()
	firstErr := parallel(len(idx), workers, func(k int) error {
		i := idx[k]
		c, err := e.connectOne(srv, cl, i, prefix, filters, qos, onMsg)
		conns[k] = c
		if err != nil {
			return fmt.Errorf("client %s%d: %w", prefix, i, err)
		}
		return nil
	})
	d := time.Since(t0).Seconds()
	st := connStats{N: len(idx), Seconds: d, PerSec: float64(len(idx)) / d}
	if firstErr != nil {
		closeAll(conns)
		return nil, st, firstErr
	}
	return conns, st, nil
}

// parallel runs fn for 0..n-1, workers at a time, handing out no new index
// after the first error, which it returns.
func parallel(n, workers int, fn func(k int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				mu.Lock()
				stop := firstErr != nil
				mu.Unlock()
				if k >= n || stop {
					return
				}
				if err := fn(k); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func (e *env) connectOne(srv *server, cl string, i int, prefix string, filters func(i int) []string, qos byte, onMsg func(i int) onMessage) (client, error) {
	user, pass := e.creds(srv.kind, i)
	var h onMessage
	if onMsg != nil {
		h = onMsg(i)
	}
	c, err := dialClient(cl, connectOpts{addr: srv.addr, local: localIP(i), clientID: prefix + strconv.Itoa(i), user: user, pass: pass,
		clean: true, keepalive: 300, timeout: 30 * time.Second}, h)
	if err != nil {
		return nil, err
	}
	if filters != nil {
		if f := filters(i); len(f) > 0 {
			if err := c.subscribe(qos, 30*time.Second, f...); err != nil {
				c.drop()
				return nil, err
			}
		}
	}
	return c, nil
}

func closeAll(conns []client) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			c.close()
			<-sem
		}()
	}
	wg.Wait()
}

// Payloads carry their send time: "m@<unix ns>#<seq> <filler>". Our broker
// delivers the text inside its stamped JSON, mosquitto the bytes as sent;
// either way the marker is found without decoding JSON.
//
// With pet set the text goes out as the pet sends it, {"text":...,"cid":...}:
// the cid makes our broker check for a duplicate before storing, which plain
// text (as from mosquitto_pub -m) skips. Both brokers get the same bytes.
func makePayload(seq int64, size int, pet bool) []byte {
	b := make([]byte, 0, size+48)
	if pet {
		b = append(b, `{"text":"`...)
	}
	start := len(b)
	b = append(b, "m@"...)
	b = strconv.AppendInt(b, time.Now().UnixNano(), 10)
	b = append(b, '#')
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, ' ')
	for len(b)-start < size {
		b = append(b, "tachikoma "[(len(b)-start)%10])
	}
	if pet {
		// Unique across senders, rounds and runs, like the pet's
		// instance-and-counter ids; the text needs no escaping.
		b = append(b, `","cid":"mb`...)
		b = strconv.AppendUint(b, cidInstance, 36)
		b = append(b, '-')
		b = strconv.AppendUint(b, cidSeq.Add(1), 36)
		b = append(b, `"}`...)
	}
	return b
}

var (
	cidInstance = uint64(time.Now().UnixNano())
	cidSeq      atomic.Uint64
)

// sentAt extracts the send time from a delivered payload.
func sentAt(p []byte) (time.Time, bool) {
	i := bytes.Index(p, []byte("m@"))
	if i < 0 {
		return time.Time{}, false
	}
	var ns int64
	j := i + 2
	for ; j < len(p) && p[j] >= '0' && p[j] <= '9'; j++ {
		ns = ns*10 + int64(p[j]-'0')
	}
	if j == i+2 {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}
