package translate

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Common knobs of the providers: zero values are the real service.
type common struct {
	Endpoint string       // override the service URL (tests, proxies, self-hosting)
	HTTP     *http.Client // default: 8 s timeout
	Now      func() time.Time
	Salt     func() string
}

func (c *common) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *common) salt() string {
	if c.Salt != nil {
		return c.Salt()
	}
	return strings.ToLower(rand.Text()[:16])
}

func (c *common) endpoint(def string) string { return cmp.Or(c.Endpoint, def) }

func post(ctx context.Context, provider string, c *common, u, contentType string, body []byte, hdr map[string]string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fail(provider, ErrService, "%v", err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return do(provider, c.HTTP, req)
}

func decode(provider string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fail(provider, ErrService, "unexpected answer: %.120s", body)
	}
	return nil
}

// LibreTranslate is a LibreTranslate server (self-hosted or public), its URL
// in Endpoint and an optional API key.
type LibreTranslate struct {
	common
	Key string
}

func (*LibreTranslate) Name() string { return "libretranslate" }

func (p *LibreTranslate) Translate(ctx context.Context, text, from, to string) (string, error) {
	if p.Endpoint == "" {
		return "", fail(p.Name(), ErrNoKey, "no server URL")
	}
	req := map[string]string{"q": text, "source": from, "target": to, "format": "text"}
	if p.Key != "" {
		req["api_key"] = p.Key
	}
	body, _ := json.Marshal(req)
	resp, err := post(ctx, p.Name(), &p.common, strings.TrimSuffix(p.Endpoint, "/")+"/translate", "application/json", body, nil)
	if err != nil {
		return "", err
	}
	var out struct {
		TranslatedText string `json:"translatedText"`
		Error          string `json:"error"`
	}
	if err := decode(p.Name(), resp, &out); err != nil {
		return "", err
	}
	if out.Error != "" || out.TranslatedText == "" {
		return "", fail(p.Name(), ErrService, "%s", cmp.Or(out.Error, "empty translation"))
	}
	return out.TranslatedText, nil
}

// DeepL is DeepL's API; keys ending in ":fx" use the free endpoint.
type DeepL struct {
	common
	Key string
}

func (*DeepL) Name() string { return "deepl" }

// DeepLEndpoint picks the free or the pro API by the key's suffix.
func DeepLEndpoint(key string) string {
	if strings.HasSuffix(key, ":fx") {
		return "https://api-free.deepl.com/v2/translate"
	}
	return "https://api.deepl.com/v2/translate"
}

func (p *DeepL) Translate(ctx context.Context, text, from, to string) (string, error) {
	if p.Key == "" {
		return "", fail(p.Name(), ErrNoKey, "")
	}
	lang := map[string]string{"en": "EN", "zh": "ZH"}
	body, _ := json.Marshal(map[string]any{"text": []string{text}, "source_lang": lang[from], "target_lang": lang[to]})
	resp, err := post(ctx, p.Name(), &p.common, p.endpoint(DeepLEndpoint(p.Key)), "application/json", body,
		map[string]string{"Authorization": "DeepL-Auth-Key " + p.Key})
	if err != nil {
		return "", err
	}
	var out struct {
		Translations []struct {
			Text string `json:"text"`
		} `json:"translations"`
		Message string `json:"message"`
	}
	if err := decode(p.Name(), resp, &out); err != nil {
		return "", err
	}
	if len(out.Translations) == 0 {
		return "", fail(p.Name(), ErrService, "%s", cmp.Or(out.Message, "empty translation"))
	}
	return out.Translations[0].Text, nil
}

// Baidu is Baidu Fanyi's general translation API (appid + secret key).
type Baidu struct {
	common
	AppID, Key string
}

func (*Baidu) Name() string { return "baidu" }

// BaiduSign is MD5(appid + q + salt + key) in lowercase hex.
func BaiduSign(appid, q, salt, key string) string {
	sum := md5.Sum([]byte(appid + q + salt + key))
	return hex.EncodeToString(sum[:])
}

func (p *Baidu) Translate(ctx context.Context, text, from, to string) (string, error) {
	if p.AppID == "" || p.Key == "" {
		return "", fail(p.Name(), ErrNoKey, "")
	}
	salt := p.salt()
	form := url.Values{"q": {text}, "from": {from}, "to": {to}, "appid": {p.AppID}, "salt": {salt},
		"sign": {BaiduSign(p.AppID, text, salt, p.Key)}}
	resp, err := post(ctx, p.Name(), &p.common, p.endpoint("https://fanyi-api.baidu.com/api/trans/vip/translate"),
		"application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		return "", err
	}
	var out struct {
		ErrorCode   string `json:"error_code"`
		ErrorMsg    string `json:"error_msg"`
		TransResult []struct {
			Dst string `json:"dst"`
		} `json:"trans_result"`
	}
	if err := decode(p.Name(), resp, &out); err != nil {
		return "", err
	}
	switch out.ErrorCode {
	case "", "52000":
	case "52003", "54001", "58000", "58002", "90107":
		return "", fail(p.Name(), ErrKey, "%s %s", out.ErrorCode, out.ErrorMsg)
	case "54003", "54004", "54005":
		return "", fail(p.Name(), ErrQuota, "%s %s", out.ErrorCode, out.ErrorMsg)
	default:
		return "", fail(p.Name(), ErrService, "%s %s", out.ErrorCode, out.ErrorMsg)
	}
	var parts []string
	for _, r := range out.TransResult {
		parts = append(parts, r.Dst)
	}
	if len(parts) == 0 {
		return "", fail(p.Name(), ErrService, "empty translation")
	}
	return strings.Join(parts, "\n"), nil
}

// Youdao is Youdao's text translation API with the v3 signature.
type Youdao struct {
	common
	AppKey, Secret string
}

func (*Youdao) Name() string { return "youdao" }

// YoudaoInput is the v3 signature's input: q itself up to 20 characters,
// else its first 10 characters, its length and its last 10 — counted in
// characters (runes), not bytes.
func YoudaoInput(q string) string {
	n := utf8.RuneCountInString(q)
	if n <= 20 {
		return q
	}
	r := []rune(q)
	return string(r[:10]) + strconv.Itoa(n) + string(r[n-10:])
}

// YoudaoSign is SHA-256(appKey + input + salt + curtime + secret), hex.
func YoudaoSign(appKey, q, salt, curtime, secret string) string {
	sum := sha256.Sum256([]byte(appKey + YoudaoInput(q) + salt + curtime + secret))
	return hex.EncodeToString(sum[:])
}

func (p *Youdao) Translate(ctx context.Context, text, from, to string) (string, error) {
	if p.AppKey == "" || p.Secret == "" {
		return "", fail(p.Name(), ErrNoKey, "")
	}
	lang := map[string]string{"en": "en", "zh": "zh-CHS"}
	salt, curtime := p.salt(), strconv.FormatInt(p.now().Unix(), 10)
	form := url.Values{"q": {text}, "from": {lang[from]}, "to": {lang[to]}, "appKey": {p.AppKey}, "salt": {salt},
		"sign": {YoudaoSign(p.AppKey, text, salt, curtime, p.Secret)}, "signType": {"v3"}, "curtime": {curtime}}
	resp, err := post(ctx, p.Name(), &p.common, p.endpoint("https://openapi.youdao.com/api"),
		"application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		return "", err
	}
	var out struct {
		ErrorCode   string   `json:"errorCode"`
		Translation []string `json:"translation"`
	}
	if err := decode(p.Name(), resp, &out); err != nil {
		return "", err
	}
	switch out.ErrorCode {
	case "0":
	case "101", "108", "110", "111", "202", "206":
		return "", fail(p.Name(), ErrKey, "errorCode %s", out.ErrorCode)
	case "401", "411", "412":
		return "", fail(p.Name(), ErrQuota, "errorCode %s", out.ErrorCode)
	default:
		return "", fail(p.Name(), ErrService, "errorCode %s", out.ErrorCode)
	}
	if len(out.Translation) == 0 {
		return "", fail(p.Name(), ErrService, "empty translation")
	}
	return strings.Join(out.Translation, "\n"), nil
}

// Tencent is Tencent Cloud's Machine Translation (TMT) TextTranslate API,
// signed with TC3-HMAC-SHA256.
type Tencent struct {
	common
	SecretID, SecretKey string
	Region              string // default ap-guangzhou
}

func (*Tencent) Name() string { return "tencent" }

const (
	tencentHost    = "tmt.tencentcloudapi.com"
	tencentService = "tmt"
)

// TencentAuthorization signs a JSON POST to host "/" at ts (Unix seconds)
// with TC3-HMAC-SHA256 and returns the Authorization header.
func TencentAuthorization(secretID, secretKey, service, host string, ts int64, payload []byte) string {
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	hashed := sha256.Sum256(payload)
	canonical := "POST\n/\n\n" +
		"content-type:application/json; charset=utf-8\nhost:" + host + "\n\n" +
		"content-type;host\n" + hex.EncodeToString(hashed[:])
	hc := sha256.Sum256([]byte(canonical))
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + hex.EncodeToString(hc[:])
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	signing := mac(mac(mac([]byte("TC3"+secretKey), date), service), "tc3_request")
	sig := hex.EncodeToString(mac(signing, toSign))
	return fmt.Sprintf("TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s", secretID, scope, sig)
}

func (p *Tencent) Translate(ctx context.Context, text, from, to string) (string, error) {
	if p.SecretID == "" || p.SecretKey == "" {
		return "", fail(p.Name(), ErrNoKey, "")
	}
	payload, _ := json.Marshal(map[string]any{"SourceText": text, "Source": from, "Target": to, "ProjectId": 0})
	ts := p.now().Unix()
	resp, err := post(ctx, p.Name(), &p.common, p.endpoint("https://"+tencentHost+"/"), "application/json; charset=utf-8", payload,
		map[string]string{
			"Authorization":  TencentAuthorization(p.SecretID, p.SecretKey, tencentService, tencentHost, ts, payload),
			"X-TC-Action":    "TextTranslate",
			"X-TC-Version":   "2018-03-21",
			"X-TC-Timestamp": strconv.FormatInt(ts, 10),
			"X-TC-Region":    cmp.Or(p.Region, "ap-guangzhou"),
		})
	if err != nil {
		return "", err
	}
	var out struct {
		Response struct {
			TargetText string
			Error      *struct{ Code, Message string }
		}
	}
	if err := decode(p.Name(), resp, &out); err != nil {
		return "", err
	}
	if e := out.Response.Error; e != nil {
		kind := ErrService
		switch {
		case strings.HasPrefix(e.Code, "AuthFailure"):
			kind = ErrKey
		case strings.Contains(e.Code, "LimitExceeded") || strings.Contains(e.Code, "NoFreeAmount") ||
			strings.Contains(e.Code, "ServiceIsolate") || strings.Contains(e.Code, "Arrears"):
			kind = ErrQuota
		}
		return "", fail(p.Name(), kind, "%s: %s", e.Code, e.Message)
	}
	if out.Response.TargetText == "" {
		return "", fail(p.Name(), ErrService, "empty translation")
	}
	return out.Response.TargetText, nil
}
