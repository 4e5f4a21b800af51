package broker

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"

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
// directory knows at once). An empty nick defaults to the username.
func (b *Broker) Register(ctx context.Context, name, pw, nick string) error {
	nick = strings.TrimSpace(nick)
	if err := ValidateNewAccount(name, pw, nick); err != nil {
		return invalidError{err}
	}
	if nick == "" {
		nick = name
	}
	if _, exists := b.dir.User(name); exists {
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
	return b.dir.CreateUser(ctx, name, nick, hash)
}

type registerRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Nickname string `json:"nickname"`
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

func (b *Broker) handleRegister(w http.ResponseWriter, r *http.Request) {
	if !b.cfg.Registration.Enabled {
		httpError(w, http.StatusForbidden, "registration is switched off on this server; ask its admin for an account")
		return
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !b.regLimit.Allow(host) {
		w.Header().Set("Retry-After", "60")
		httpError(w, http.StatusTooManyRequests, "too many registrations from your address; try again in a minute")
		return
	}
	var req registerRequest
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
			httpError(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		httpError(w, http.StatusBadRequest, "body must be JSON {\"username\", \"password\", \"nickname\"}: "+err.Error())
		return
	}
	err = b.Register(r.Context(), req.Username, req.Password, req.Nickname)
	switch {
	case errors.Is(err, store.ErrExists):
		httpError(w, http.StatusConflict, "username "+req.Username+" is taken")
	case err != nil && isValidation(err):
		httpError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, errBusy):
		w.Header().Set("Retry-After", "5")
		httpError(w, http.StatusServiceUnavailable, "the server is busy; try again in a few seconds")
	case err != nil:
		b.log.Error("register", "user", req.Username, "error", err)
		httpError(w, http.StatusInternalServerError, "could not create the account")
	default:
		b.log.Info("registered", "user", req.Username, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusCreated, map[string]string{"username": req.Username})
	}
}

// invalidError marks a registration mistake (400), as opposed to a server fault.
type invalidError struct{ error }

func (e invalidError) Unwrap() error { return e.error }

func isValidation(err error) bool { return errors.As(err, new(invalidError)) }
