package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// Register creates the account cfg.User / cfg.Password (nickname optional)
// through the server's HTTP API. Errors match ErrNameTaken, ErrInvalid (Msg
// carries the server's reason, e.g. a weak password), ErrTooMany,
// ErrRegistrationOff, ErrUnreachable, ErrBadURL or ErrServer.
func Register(ctx context.Context, cfg Config, nickname string) error {
	base, err := registerURL(cfg)
	if err != nil {
		return err
	}
	// Obvious mistakes are answered here, in the same words the server
	// would use, without a round trip.
	if err := topics.CheckUsername(cfg.User); err != nil {
		return &Error{Kind: ErrInvalid, Msg: err.Error()}
	}
	body, _ := json.Marshal(map[string]string{"username": cfg.User, "password": cfg.Password, "nickname": nickname})
	cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/register", bytes.NewReader(body))
	if err != nil {
		return badURL(base, "not a valid registration address")
	}
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{}
	if srv, perr := ParseServer(cfg.Server); perr == nil && srv.TLS() {
		tc, terr := tlsConfig(srv, cfg.TLS)
		if terr != nil {
			return terr
		}
		tc.ServerName = ""
		if cfg.TLS.ServerName != "" {
			tc.ServerName = cfg.TLS.ServerName
		}
		hc.Transport = &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if u, perr := url.Parse(base); perr == nil {
			port, _ := strconv.Atoi(u.Port())
			srv := Server{Scheme: "mqtts", Host: u.Hostname(), Port: port}
			if e := classifyNet(srv, err); errors.Is(e, ErrTLS) {
				return e
			}
		}
		return &Error{Kind: ErrUnreachable, Msg: "cannot reach the registration service at " + base, Err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var answer struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &answer)
	reason := strings.TrimSpace(answer.Error)
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusOK:
		return nil
	case http.StatusConflict:
		return &Error{Kind: ErrNameTaken, Msg: orDefault(reason, "user name "+cfg.User+" is taken")}
	case http.StatusBadRequest:
		return &Error{Kind: ErrInvalid, Msg: orDefault(reason, "the server refused the user name or password")}
	case http.StatusTooManyRequests:
		return &Error{Kind: ErrTooMany, Msg: orDefault(reason, "too many registrations; try again in a minute")}
	case http.StatusForbidden:
		return &Error{Kind: ErrRegistrationOff, Msg: orDefault(reason, "registration is switched off on this server")}
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return &Error{Kind: ErrUnreachable, Msg: base + " is not a Tachikoma registration service"}
	}
	return &Error{Kind: ErrServer, Msg: fmt.Sprintf("registration failed (HTTP %d) %s", resp.StatusCode, reason)}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
