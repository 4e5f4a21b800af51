package translate

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func hexMD5(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func hexSHA256(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// Baidu's documentation signs appid 2015063000000001, q "apple", salt
// 1435660288 with key 12345678 and gets f89f9594663708c1605f3d736d01d2d4.
func TestBaiduSignKnownAnswer(t *testing.T) {
	got := BaiduSign("2015063000000001", "apple", "1435660288", "12345678")
	if want := "f89f9594663708c1605f3d736d01d2d4"; got != want {
		t.Errorf("BaiduSign = %s, want %s (documented)", got, want)
	}
	// UTF-8 text is signed as its bytes, before URL encoding.
	if got, want := BaiduSign("id", "你好 world", "7", "k"), hexMD5("id你好 world7k"); got != want {
		t.Errorf("BaiduSign(Chinese) = %s, want %s", got, want)
	}
}

func TestYoudaoInputCountsRunes(t *testing.T) {
	short := "hello, world"
	if YoudaoInput(short) != short {
		t.Errorf("≤ 20 characters are signed whole")
	}
	q := strings.Repeat("汉", 12) + strings.Repeat("字", 12) // 24 characters, 72 bytes
	want := "汉汉汉汉汉汉汉汉汉汉" + "24" + "字字字字字字字字字字"
	if got := YoudaoInput(q); got != want {
		t.Errorf("YoudaoInput = %q, want %q", got, want)
	}
	exact20 := strings.Repeat("字", 20)
	if YoudaoInput(exact20) != exact20 {
		t.Errorf("exactly 20 characters are signed whole")
	}
	sign := YoudaoSign("appKey1", q, "salt-1", "1700000000", "secret1")
	if want := hexSHA256("appKey1" + want + "salt-1" + "1700000000" + "secret1"); sign != want {
		t.Errorf("YoudaoSign = %s, want %s", sign, want)
	}
}

// tc3 recomputes a TC3-HMAC-SHA256 signature step by step, as the Tencent
// Cloud documentation lays it out, independently of TencentAuthorization.
func tc3(secretKey, date, service, stringToSign string) string {
	h := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	kDate := h([]byte("TC3"+secretKey), date)
	kService := h(kDate, service)
	kSigning := h(kService, "tc3_request")
	return hex.EncodeToString(h(kSigning, stringToSign))
}

func TestTencentSignatureKnownAnswer(t *testing.T) {
	payload := `{"SourceText":"hello","Source":"en","Target":"zh","ProjectId":0}`
	const ts = 1551113065 // 2019-02-25 16:44:25 UTC
	canonical := "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:tmt.tencentcloudapi.com\n\ncontent-type;host\n" +
		hexSHA256(payload)
	toSign := "TC3-HMAC-SHA256\n1551113065\n2019-02-25/tmt/tc3_request\n" + hexSHA256(canonical)
	want := "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/tmt/tc3_request, SignedHeaders=content-type;host, Signature=" +
		tc3("SECRETEXAMPLE", "2019-02-25", "tmt", toSign)
	got := TencentAuthorization("AKIDEXAMPLE", "SECRETEXAMPLE", "tmt", "tmt.tencentcloudapi.com", ts, []byte(payload))
	if got != want {
		t.Errorf("authorization\n got %s\nwant %s", got, want)
	}
}

var fixedNow = func() time.Time { return time.Unix(1700000000, 0) }

// fake serves one provider: check inspects the request and returns the
// status and body to answer with.
func fake(t *testing.T, check func(r *http.Request, body []byte) (int, string)) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		code, out := check(r, body)
		w.WriteHeader(code)
		io.WriteString(w, out)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func TestProvidersAgainstFakes(t *testing.T) {
	ctx := context.Background()
	type tc struct {
		name  string
		tr    func(u string) Translator
		check func(r *http.Request, body []byte) (int, string)
	}
	form := func(body []byte) url.Values { v, _ := url.ParseQuery(string(body)); return v }
	cases := []tc{
		{"libretranslate", func(u string) Translator { return &LibreTranslate{common: common{Endpoint: u}, Key: "k1"} },
			func(r *http.Request, body []byte) (int, string) {
				var req map[string]string
				json.Unmarshal(body, &req)
				if r.URL.Path != "/translate" || req["q"] != "Good morning" || req["target"] != "zh" || req["api_key"] != "k1" {
					return 400, `{"error":"bad request"}`
				}
				return 200, `{"translatedText":"早上好"}`
			}},
		{"deepl", func(u string) Translator { return &DeepL{common: common{Endpoint: u}, Key: "abc:fx"} },
			func(r *http.Request, body []byte) (int, string) {
				if r.Header.Get("Authorization") != "DeepL-Auth-Key abc:fx" || !strings.Contains(string(body), `"target_lang":"ZH"`) {
					return 403, `{"message":"Forbidden"}`
				}
				return 200, `{"translations":[{"detected_source_language":"EN","text":"早上好"}]}`
			}},
		{"baidu", func(u string) Translator {
			return &Baidu{common: common{Endpoint: u, Salt: func() string { return "42" }}, AppID: "2015063000000001", Key: "12345678"}
		}, func(r *http.Request, body []byte) (int, string) {
			f := form(body)
			if f.Get("sign") != hexMD5("2015063000000001"+"Good morning"+"42"+"12345678") || f.Get("to") != "zh" {
				return 200, `{"error_code":"54001","error_msg":"Invalid Sign"}`
			}
			return 200, `{"from":"en","to":"zh","trans_result":[{"src":"Good morning","dst":"早上好"}]}`
		}},
		{"youdao", func(u string) Translator {
			return &Youdao{common: common{Endpoint: u, Salt: func() string { return "s" }, Now: fixedNow}, AppKey: "ak", Secret: "sk"}
		}, func(r *http.Request, body []byte) (int, string) {
			f := form(body)
			if f.Get("signType") != "v3" || f.Get("curtime") != "1700000000" || f.Get("to") != "zh-CHS" ||
				f.Get("sign") != hexSHA256("ak"+"Good morning"+"s"+"1700000000"+"sk") {
				return 200, `{"errorCode":"202"}`
			}
			return 200, `{"errorCode":"0","translation":["早上好"]}`
		}},
		{"tencent", func(u string) Translator {
			return &Tencent{common: common{Endpoint: u, Now: fixedNow}, SecretID: "AKID", SecretKey: "SK"}
		}, func(r *http.Request, body []byte) (int, string) {
			canonical := "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:tmt.tencentcloudapi.com\n\ncontent-type;host\n" + hexSHA256(string(body))
			date := time.Unix(1700000000, 0).UTC().Format("2006-01-02")
			toSign := "TC3-HMAC-SHA256\n1700000000\n" + date + "/tmt/tc3_request\n" + hexSHA256(canonical)
			auth := r.Header.Get("Authorization")
			if !strings.HasSuffix(auth, "Signature="+tc3("SK", date, "tmt", toSign)) || r.Header.Get("X-TC-Action") != "TextTranslate" ||
				r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				return 200, `{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad signature"}}}`
			}
			return 200, `{"Response":{"TargetText":"早上好","Source":"en","Target":"zh","RequestId":"x"}}`
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := c.tr(fake(t, c.check))
			if tr.Name() != c.name {
				t.Errorf("Name = %q", tr.Name())
			}
			got, err := tr.Translate(ctx, "Good morning", "en", "zh")
			if err != nil || got != "早上好" {
				t.Fatalf("Translate = %q, %v", got, err)
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	ctx := context.Background()
	answer := func(code int, body string) string {
		return fake(t, func(*http.Request, []byte) (int, string) { return code, body })
	}
	cases := []struct {
		name string
		tr   Translator
		want error
	}{
		{"deepl key", &DeepL{common: common{Endpoint: answer(403, `{"message":"Wrong key"}`)}, Key: "x"}, ErrKey},
		{"deepl quota", &DeepL{common: common{Endpoint: answer(456, `{"message":"Quota exceeded"}`)}, Key: "x"}, ErrQuota},
		{"libre key", &LibreTranslate{common: common{Endpoint: answer(403, `{"error":"Invalid API key"}`)}}, ErrKey},
		{"libre garbage", &LibreTranslate{common: common{Endpoint: answer(200, "\xff\x00 not json")}}, ErrService},
		{"baidu sign", &Baidu{common: common{Endpoint: answer(200, `{"error_code":"54001","error_msg":"Invalid Sign"}`)}, AppID: "a", Key: "b"}, ErrKey},
		{"baidu balance", &Baidu{common: common{Endpoint: answer(200, `{"error_code":"54004","error_msg":"Please recharge"}`)}, AppID: "a", Key: "b"}, ErrQuota},
		{"youdao appkey", &Youdao{common: common{Endpoint: answer(200, `{"errorCode":"108"}`)}, AppKey: "a", Secret: "b"}, ErrKey},
		{"youdao limit", &Youdao{common: common{Endpoint: answer(200, `{"errorCode":"411"}`)}, AppKey: "a", Secret: "b"}, ErrQuota},
		{"tencent auth", &Tencent{common: common{Endpoint: answer(200, `{"Response":{"Error":{"Code":"AuthFailure.SecretIdNotFound","Message":"x"}}}`)}, SecretID: "a", SecretKey: "b"}, ErrKey},
		{"tencent free", &Tencent{common: common{Endpoint: answer(200, `{"Response":{"Error":{"Code":"FailedOperation.NoFreeAmount","Message":"x"}}}`)}, SecretID: "a", SecretKey: "b"}, ErrQuota},
		{"no key", &DeepL{}, ErrNoKey},
		{"server 500", &DeepL{common: common{Endpoint: answer(500, "oops")}, Key: "x"}, ErrService},
	}
	for _, c := range cases {
		_, err := c.tr.Translate(ctx, "hello", "en", "zh")
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}

	// Nothing listening, and a server that never answers: needs network.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	if _, err := (&DeepL{common: common{Endpoint: deadURL}, Key: "x"}).Translate(ctx, "hi", "en", "zh"); !errors.Is(err, ErrNetwork) {
		t.Errorf("closed port: %v, want ErrNetwork", err)
	}
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hang)
	p := &DeepL{common: common{Endpoint: slow.URL, HTTP: &http.Client{Timeout: 200 * time.Millisecond}}, Key: "x"}
	if _, err := p.Translate(ctx, "hi", "en", "zh"); !errors.Is(err, ErrNetwork) || !strings.Contains(Problem(err), "需要联网") {
		t.Errorf("timeout: %v, want ErrNetwork", err)
	}
}

func TestDeepLEndpointByKey(t *testing.T) {
	if !strings.Contains(DeepLEndpoint("k:fx"), "api-free") || strings.Contains(DeepLEndpoint("k"), "api-free") {
		t.Error("free keys (…:fx) use the free endpoint, others the pro one")
	}
}

type countingTranslator struct{ n int }

func (c *countingTranslator) Name() string { return "count" }
func (c *countingTranslator) Translate(_ context.Context, text, _, _ string) (string, error) {
	c.n++
	if text == "fail" {
		return "", fmt.Errorf("nope: %w", ErrNetwork)
	}
	return "译:" + text, nil
}

func TestCache(t *testing.T) {
	inner := &countingTranslator{}
	c := Cached(inner, 2)
	for _, q := range []string{"a", "a", "b", "a", "c", "b", "fail", "fail"} {
		c.Translate(context.Background(), q, "en", "zh")
	}
	// a, b hit once each; c evicts b (least recent) so b is fetched again; failures are not cached.
	if inner.n != 6 {
		t.Errorf("%d calls to the provider, want 6", inner.n)
	}
}
