package broker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// ValidateNewAccount checks a registration; the error is readable by the person registering.
func ValidateNewAccount(name, pw, nick string) error {
	if err := topics.CheckUsername(name); err != nil {
		return err
	}
	if err := password.Check(pw); err != nil {
		return err
	}
	if nick != "" {
		return topics.CheckNickname(nick)
	}
	return nil
}

// Register creates an account through the running broker (so its in-memory
// directory knows at once) as the admin CLI would: without an invite, never
// pending. An empty nick defaults to the username.
func (b *Broker) Register(ctx context.Context, name, pw, nick string) error {
	return b.register(ctx, name, pw, nick, store.Signup{})
}

func (b *Broker) register(ctx context.Context, name, pw, nick string, how store.Signup) error {
	nick = strings.TrimSpace(nick)
	if err := ValidateNewAccount(name, pw, nick); err != nil {
		return invalidError{err}
	}
	if nick == "" {
		nick = name
	}
	// With an invite the store checks the code before the name, so that
	// a wrong code does not tell outsiders which names are taken.
	if _, exists := b.dir.User(name); exists && how.Invite == "" {
		return store.ErrExists
	}
	release, err := b.hashTurn()
	if err != nil {
		return err
	}
	hash, err := password.Hash(pw, b.hashCost)
	release()
	if err != nil {
		return err
	}
	return b.dir.Register(ctx, name, nick, hash, how)
}

type registerRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Nickname string `json:"nickname"`
	Invite   string `json:"invite"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (b *Broker) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-b.ready:
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		default:
			httpError(w, http.StatusServiceUnavailable, "starting")
		}
	})
	mux.HandleFunc("POST /api/v1/register", b.handleRegister)
	mux.HandleFunc("GET /api/v1/server", b.handleServer)
	b.observeRoutes(mux)
	if b.ws != nil {
		// The web client's MQTT on its own origin; the upgrade hands the
		// connection to the WebSocket listener, which bounds it from then on.
		mux.Handle("GET /mqtt", b.ws)
	}
	if b.web != nil {
		b.web.Register(mux)
	}
	return http.MaxBytesHandler(mux, int64(b.cfg.Limits.HTTPMaxBodyBytes))
}

// Reasons registrations are refused with 403, in the "reason" field for
// clients that word them themselves.
const (
	refusedClosed  = "closed"
	refusedInvite  = "invite_needed"
	refusedUnknown = "invite_unknown"
	refusedExpired = "invite_expired"
	refusedUsedUp  = "invite_used_up"
)

func (b *Broker) refuseRegistration(w http.ResponseWriter, status int, reason, msg string) {
	b.metrics.refusals.WithLabelValues("register", reason).Inc()
	writeJSON(w, status, map[string]string{"error": msg, "reason": reason})
}

func (b *Broker) refuseRegistrationRate(w http.ResponseWriter, wait time.Duration, reason, msg string) {
	w.Header().Set("Retry-After", retryAfter(wait))
	b.refuseRegistration(w, http.StatusTooManyRequests, reason, msg)
}

func (b *Broker) handleRegister(w http.ResponseWriter, r *http.Request) {
	mode := b.cfg.Registration.Mode
	if mode == RegistrationClosed {
		b.refuseRegistration(w, http.StatusForbidden, refusedClosed, "registration is closed on this server; ask its admin for an account")
		return
	}
	host := b.clientHost(r)
	// The address's bucket is looked at first, so that one address cannot
	// use up the server's, but spent last, so that a refusal by the
	// server's leaves it whole; every attempt counts, invite guesses included.
	if wait := b.regLimit.Ready(addressKey(host)); wait > 0 {
		b.refuseRegistrationRate(w, wait, "rate_address", "too many registrations from your address; try again in a minute")
		return
	}
	if wait := b.regGlobal.Wait(""); wait > 0 {
		b.refuseRegistrationRate(w, wait, "rate_server", "too many registrations on this server right now; try again in a few minutes")
		return
	}
	if wait := b.regLimit.Wait(addressKey(host)); wait > 0 { // a parallel attempt from the address took it
		b.refuseRegistrationRate(w, wait, "rate_address", "too many registrations from your address; try again in a minute")
		return
	}
	var req registerRequest
	body, err := io.ReadAll(r.Body)
	if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
		httpError(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	// Decoding would turn bytes that are not UTF-8 into U+FFFD: the account
	// would get a password its owner's client never sends.
	if err == nil && !utf8.Valid(body) {
		err = errors.New("body is not valid UTF-8 (send the password and nickname in UTF-8)")
	}
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, "body must be JSON {\"username\", \"password\", \"nickname\", \"invite\"}: "+err.Error())
		return
	}
	how := store.Signup{Pending: b.cfg.Registration.Approval, Address: host}
	if mode == RegistrationInvite {
		if store.NormalInvite(req.Invite) == "" {
			b.refuseRegistration(w, http.StatusForbidden, refusedInvite, store.ErrInviteNeeded.Error())
			return
		}
		how.Invite = req.Invite
	}
	err = b.register(r.Context(), req.Username, req.Password, req.Nickname, how)
	switch {
	case errors.Is(err, store.ErrExists):
		httpError(w, http.StatusConflict, "username "+req.Username+" is taken")
	case err != nil && isValidation(err):
		httpError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrInviteUnknown):
		b.refuseRegistration(w, http.StatusForbidden, refusedUnknown, err.Error())
	case errors.Is(err, store.ErrInviteExpired):
		b.refuseRegistration(w, http.StatusForbidden, refusedExpired, err.Error())
	case errors.Is(err, store.ErrInviteUsedUp):
		b.refuseRegistration(w, http.StatusForbidden, refusedUsedUp, err.Error())
	case errors.Is(err, errBusy):
		w.Header().Set("Retry-After", "5")
		httpError(w, http.StatusServiceUnavailable, "the server is busy; try again in a few seconds")
	case err != nil:
		b.log.Error("register", "user", req.Username, "error", err)
		httpError(w, http.StatusInternalServerError, "could not create the account")
	case how.Pending:
		b.log.Info("registered, waiting for approval", "user", req.Username, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusAccepted, map[string]string{"username": req.Username, "status": "pending",
			"message": msgPending})
	default:
		b.log.Info("registered", "user", req.Username, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusCreated, map[string]string{"username": req.Username, "status": "active"})
	}
}

// msgPending tells a registered person why they cannot log in yet.
const msgPending = "your account is waiting for the server admin's approval; you can log in once it is approved"

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// ServerInfo is GET /api/v1/server: what a client needs before it logs in
// or registers (docs/PROTOCOL.md).
type ServerInfo struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	Registration   string `json:"registration"`    // open, invite or closed
	InviteRequired bool   `json:"invite_required"` // registration == invite
	Approval       bool   `json:"approval"`        // new accounts wait for an admin
	MQTT           string `json:"mqtt,omitempty"`  // mqtt:// or mqtts:// address
	WS             string `json:"ws,omitempty"`    // ws:// or wss:// address of MQTT over WebSocket
}

func (b *Broker) handleServer(w http.ResponseWriter, r *http.Request) {
	reg := b.cfg.Registration
	info := ServerInfo{Name: b.cfg.ServerName, Version: b.version, Registration: reg.Mode,
		InviteRequired: reg.Mode == RegistrationInvite, Approval: reg.Approval && reg.Mode != RegistrationClosed,
		MQTT: b.cfg.Public.MQTT, WS: b.cfg.Public.WS}
	// Without a public block, the listeners' ports on the host name the
	// client used for this request (a wildcard listen address says nothing).
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1] // an IPv6 literal on the default port
	}
	// The listeners share one TLS setup: a request that came over TLS
	// says so even when the certificate is not from files.
	tls := b.certs != nil || r.TLS != nil
	if info.MQTT == "" && b.MQTTAddr() != "" {
		info.MQTT = listenerURL(map[bool]string{false: "mqtt", true: "mqtts"}[tls], host, b.MQTTAddr(), "")
	}
	if info.WS == "" && b.WSAddr() != "" {
		info.WS = listenerURL(map[bool]string{false: "ws", true: "wss"}[tls], host, b.WSAddr(), "/mqtt")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, info)
}

func listenerURL(scheme, host, addr, path string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return ""
	}
	return scheme + "://" + net.JoinHostPort(host, port) + path
}

// invalidError marks a registration mistake (400), as opposed to a server fault.
type invalidError struct{ error }

func (e invalidError) Unwrap() error { return e.error }

func isValidation(err error) bool { return errors.As(err, new(invalidError)) }
