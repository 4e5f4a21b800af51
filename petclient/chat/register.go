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
// through the server's HTTP API; RegisterWith also sends an invite code and
// tells a pending account apart.
func Register(ctx context.Context, cfg Config, nickname string) error {
	_, err := RegisterWith(ctx, cfg, Signup{Nickname: nickname})
	return err
}

// Signup is what a registration sends besides the user name and password.
type Signup struct {
	Nickname string // optional; the server uses the user name
	Invite   string // the server's invite code, when it asks for one
}

// Registered is how a successful registration ended.
type Registered struct {
	// Pending: the account waits for the server admin's approval and
	// cannot log in yet; Message is the server's explanation.
	Pending bool
	Message string
}

// RegisterWith registers cfg.User. Errors match ErrNameTaken, ErrInvalid
// (Msg carries the server's reason, e.g. a weak password), ErrTooMany,
// ErrRegistrationOff, ErrInviteNeeded, ErrInviteInvalid, ErrInviteExpired,
// ErrInviteUsedUp, ErrUnreachable, ErrBadURL or ErrServer.
func RegisterWith(ctx context.Context, cfg Config, s Signup) (Registered, error) {
	// Obvious mistakes are answered here, in the same words the server
	// would use, without a round trip.
	if err := topics.CheckUsername(cfg.User); err != nil {
		return Registered{}, &Error{Kind: ErrInvalid, Msg: err.Error()}
	}
	body, _ := json.Marshal(map[string]string{"username": cfg.User, "password": cfg.Password, "nickname": s.Nickname,
		"invite": strings.TrimSpace(s.Invite)})
	base, status, raw, err := apiCall(ctx, cfg, http.MethodPost, "/api/v1/register", body)
	if err != nil {
		return Registered{}, err
	}
	var answer struct {
		Error   string `json:"error"`
		Reason  string `json:"reason"`
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &answer)
	reason := strings.TrimSpace(answer.Error)
	switch status {
	case http.StatusCreated, http.StatusOK:
		return Registered{}, nil
	case http.StatusAccepted:
		return Registered{Pending: true, Message: answer.Message}, nil
	case http.StatusConflict:
		return Registered{}, &Error{Kind: ErrNameTaken, Msg: orDefault(reason, "user name "+cfg.User+" is taken")}
	case http.StatusBadRequest:
		return Registered{}, &Error{Kind: ErrInvalid, Msg: orDefault(reason, "the server refused the user name or password")}
	case http.StatusTooManyRequests:
		return Registered{}, &Error{Kind: ErrTooMany, Msg: orDefault(reason, "too many registrations; try again in a minute")}
	case http.StatusForbidden:
		kind := map[string]error{"invite_needed": ErrInviteNeeded, "invite_unknown": ErrInviteInvalid,
			"invite_expired": ErrInviteExpired, "invite_used_up": ErrInviteUsedUp}[answer.Reason]
		if kind == nil {
			kind = ErrRegistrationOff
		}
		return Registered{}, &Error{Kind: kind, Msg: orDefault(reason, kind.Error())}
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return Registered{}, &Error{Kind: ErrUnreachable, Msg: base + " is not a Tachikoma registration service"}
	}
	return Registered{}, &Error{Kind: ErrServer, Msg: fmt.Sprintf("registration failed (HTTP %d) %s", status, reason)}
}

// ServerInfo is what a server tells clients before they log in
// (GET /api/v1/server, docs/PROTOCOL.md).
type ServerInfo struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	Registration   string `json:"registration"` // open, invite or closed
	InviteRequired bool   `json:"invite_required"`
	Approval       bool   `json:"approval"` // new accounts wait for the admin
	MQTT           string `json:"mqtt"`
	WS             string `json:"ws"`
}

// FetchServerInfo asks the server of cfg (its HTTP API, as Register finds
// it) what it is and how it registers people. A server older than the
// endpoint answers ErrUnreachable.
func FetchServerInfo(ctx context.Context, cfg Config) (ServerInfo, error) {
	base, status, raw, err := apiCall(ctx, cfg, http.MethodGet, "/api/v1/server", nil)
	if err != nil {
		return ServerInfo{}, err
	}
	var info ServerInfo
	if status != http.StatusOK {
		return info, &Error{Kind: ErrUnreachable, Msg: fmt.Sprintf("%s/api/v1/server answered HTTP %d", base, status)}
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		return info, &Error{Kind: ErrServer, Msg: base + "/api/v1/server did not answer JSON", Err: err}
	}
	return info, nil
}

// apiCall makes one request to the server's HTTP API and returns its base
// URL, status and (at most 4 KiB of) body.
func apiCall(ctx context.Context, cfg Config, method, path string, body []byte) (base string, status int, raw []byte, err error) {
	base, err = registerURL(cfg)
	if err != nil {
		return base, 0, nil, err
	}
	cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return base, 0, nil, badURL(base, "not a valid registration address")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := &http.Client{}
	if srv, perr := ParseServer(cfg.Server); perr == nil && srv.TLS() {
		tc, terr := tlsConfig(srv, cfg.TLS)
		if terr != nil {
			return base, 0, nil, terr
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
				return base, 0, nil, e
			}
		}
		return base, 0, nil, &Error{Kind: ErrUnreachable, Msg: "cannot reach the registration service at " + base, Err: err}
	}
	defer resp.Body.Close()
	raw, _ = io.ReadAll(io.LimitReader(resp.Body, 4096))
	return base, resp.StatusCode, raw, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
