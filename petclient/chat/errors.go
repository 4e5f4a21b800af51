package chat

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/gorilla/websocket"
)

// Error kinds. Every error this package returns for a connection,
// registration or request matches one of them with errors.Is, so the UI can
// pick its wording; Error() is already a readable English sentence.
var (
	ErrBadURL      = errors.New("bad server address")
	ErrAuth        = errors.New("wrong user name or password")
	ErrClientID    = errors.New("client id refused")
	ErrUnreachable = errors.New("server unreachable")
	ErrTLS         = errors.New("secure connection failed")
	ErrOffline     = errors.New("not connected")
	ErrClosed      = errors.New("chat client closed")
	ErrTimeout     = errors.New("no answer in time")

	// Registration (POST /api/v1/register).
	ErrNameTaken       = errors.New("user name taken")
	ErrInvalid         = errors.New("rejected by the server") // bad name, weak password: Msg has the server's reason
	ErrTooMany         = errors.New("too many attempts")
	ErrRegistrationOff = errors.New("registration is switched off")
	ErrServer          = errors.New("server error")
	ErrInviteNeeded    = errors.New("this server needs an invite code to register")
	ErrInviteInvalid   = errors.New("the invite code is not valid")
	ErrInviteExpired   = errors.New("the invite code has expired")
	ErrInviteUsedUp    = errors.New("the invite code has been used up")
	// ErrPending: the account waits for the server admin's approval (at
	// login; registration reports it in Registered).
	ErrPending = errors.New("the account is waiting for the admin's approval")
)

// Error is a classified failure: Kind is one of the Err* values above, Msg
// the human explanation, Err the underlying cause (if any).
type Error struct {
	Kind error
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Kind.Error()
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Is(target error) bool { return target == e.Kind }
func (e *Error) Unwrap() error        { return e.Err }

func badURL(s, why string) error {
	return &Error{Kind: ErrBadURL, Msg: why + " (" + s + ")"}
}

// classifyConnect turns a failed paho CONNECT into an *Error.
func classifyConnect(srv Server, tok paho.Token) error {
	err := tok.Error()
	rc := byte(packets.ErrNetworkError)
	if ct, ok := tok.(*paho.ConnectToken); ok && err != nil {
		rc = ct.ReturnCode()
	}
	where := srv.Addr()
	switch rc {
	case packets.ErrRefusedBadUsernameOrPassword:
		// Tachikoma's broker answers a wrong password with 0x05 and keeps
		// 0x04 for an account not approved yet (docs/PROTOCOL.md).
		return &Error{Kind: ErrPending, Msg: "your account is waiting for the server admin's approval"}
	case packets.ErrRefusedNotAuthorised:
		return &Error{Kind: ErrAuth, Msg: "wrong user name or password"}
	case packets.ErrRefusedIDRejected:
		return &Error{Kind: ErrClientID, Msg: "the server refused this computer's client id (it belongs to another user)"}
	case packets.ErrRefusedServerUnavailable:
		return &Error{Kind: ErrUnreachable, Msg: "the server at " + where + " is not accepting connections right now"}
	case packets.ErrRefusedBadProtocolVersion:
		return &Error{Kind: ErrUnreachable, Msg: "the server at " + where + " does not speak MQTT 3.1.1"}
	}
	return classifyNet(srv, err)
}

// certTimeMessage explains a certificate outside its validity at now: an
// expired one is the server's to renew, one not valid yet usually means
// this computer's clock is wrong.
func certTimeMessage(cert *x509.Certificate, now time.Time) string {
	if now.Before(cert.NotBefore) {
		return "the server's certificate is only valid from " + cert.NotBefore.Format("2006-01-02") + ": check this computer's date and time"
	}
	return "the server's certificate expired on " + cert.NotAfter.Format("2006-01-02") + " (ask the server's admin to renew it, or check this computer's date)"
}

// classifyNet explains a dial/handshake failure.
func classifyNet(srv Server, err error) error {
	where := srv.Addr()
	var (
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalid    x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		opErr      *net.OpError
		dnsErr     *net.DNSError
		netTimeout net.Error
	)
	switch {
	case err == nil:
		return &Error{Kind: ErrUnreachable, Msg: "could not connect to " + where}
	case errors.As(err, &unknownCA):
		return &Error{Kind: ErrTLS, Msg: "the server's certificate is not signed by a trusted authority (self-signed? give its CA file, or explicitly allow insecure)", Err: err}
	case errors.As(err, &hostErr):
		return &Error{Kind: ErrTLS, Msg: "the server's certificate is for another name than " + srv.Host, Err: err}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert != nil:
		return &Error{Kind: ErrTLS, Msg: certTimeMessage(invalid.Cert, time.Now()), Err: err}
	case errors.As(err, &invalid):
		return &Error{Kind: ErrTLS, Msg: "the server's certificate is not valid (expired?)", Err: err}
	case errors.As(err, &verifyErr):
		return &Error{Kind: ErrTLS, Msg: "the server's certificate could not be verified", Err: err}
	case errors.As(err, &recordErr):
		return &Error{Kind: ErrTLS, Msg: "the server at " + where + " does not speak TLS (try mqtt:// or ws://)", Err: err}
	case strings.Contains(err.Error(), "tls:"):
		return &Error{Kind: ErrTLS, Msg: "the secure handshake with " + where + " failed", Err: err}
	case errors.As(err, &dnsErr):
		return &Error{Kind: ErrUnreachable, Msg: "unknown host " + srv.Host, Err: err}
	case errors.Is(err, websocket.ErrBadHandshake):
		return &Error{Kind: ErrUnreachable, Msg: "no MQTT WebSocket at " + srv.String() + " (wrong path or port?)", Err: err}
	case errors.As(err, &netTimeout) && netTimeout.Timeout():
		return &Error{Kind: ErrUnreachable, Msg: "the server at " + where + " did not answer in time", Err: err}
	case errors.As(err, &opErr):
		return &Error{Kind: ErrUnreachable, Msg: "cannot reach the server at " + where, Err: err}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		hint := ""
		if !srv.TLS() {
			hint = " (is it a TLS port? try mqtts://)"
		}
		return &Error{Kind: ErrUnreachable, Msg: "the server at " + where + " closed the connection" + hint, Err: err}
	}
	return &Error{Kind: ErrUnreachable, Msg: "could not connect to " + where, Err: err}
}
