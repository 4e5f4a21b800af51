package brokertest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/mochi-mqtt/server/v2/packets"
)

// ReadFrame reads one MQTT packet from r undecoded: its first byte and
// what follows the remaining length.
func ReadFrame(r *bufio.Reader) (head byte, body []byte, err error) {
	if head, err = r.ReadByte(); err != nil {
		return 0, nil, err
	}
	n, mul := 0, 1
	for i := 0; ; i++ {
		b, err := r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n += int(b&0x7f) * mul
		mul *= 128
		if b&0x80 == 0 {
			break
		}
		if i == 3 {
			return 0, nil, fmt.Errorf("remaining length longer than 4 bytes")
		}
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return head, body, nil
}

// ReadPacket reads one MQTT packet from r and decodes the kinds a test
// client receives (CONNACK, SUBACK, PUBLISH, PUBACK, PUBREC, PUBCOMP,
// DISCONNECT).
func ReadPacket(r *bufio.Reader, version byte) (packets.Packet, error) {
	var pk packets.Packet
	hb, body, err := ReadFrame(r)
	if err != nil {
		return pk, err
	}
	if err := pk.FixedHeader.Decode(hb); err != nil {
		return pk, err
	}
	pk.FixedHeader.Remaining = len(body)
	pk.ProtocolVersion = version
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	case packets.Puback:
		err = pk.PubackDecode(body)
	case packets.Pubrec:
		err = pk.PubrecDecode(body)
	case packets.Pubcomp:
		err = pk.PubcompDecode(body)
	case packets.Disconnect:
		err = pk.DisconnectDecode(body)
	}
	return pk, err
}

// EncodePacket encodes the kinds a test client sends (CONNECT, SUBSCRIBE,
// PUBLISH, PUBACK, PUBREL, DISCONNECT).
func EncodePacket(pk packets.Packet) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	case packets.Subscribe:
		err = pk.SubscribeEncode(&buf)
	case packets.Publish:
		err = pk.PublishEncode(&buf)
	case packets.Puback:
		err = pk.PubackEncode(&buf)
	case packets.Pubrel:
		err = pk.PubrelEncode(&buf)
	case packets.Disconnect:
		err = pk.DisconnectEncode(&buf)
	default:
		err = fmt.Errorf("brokertest cannot encode packet type %d", pk.FixedHeader.Type)
	}
	return buf.Bytes(), err
}
