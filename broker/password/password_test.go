package password

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

var fast = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q", h)
	}
	if err := Verify("correct horse", h); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := Verify("correct horsf", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v", err)
	}
	h2, _ := Hash("correct horse", fast)
	if h == h2 {
		t.Fatal("salt not random")
	}
}

func TestBcrypt(t *testing.T) {
	b, _ := bcrypt.GenerateFromPassword([]byte("s3cretpass"), bcrypt.MinCost)
	if err := Verify("s3cretpass", string(b)); err != nil {
		t.Fatal(err)
	}
	if err := Verify("nope", string(b)); !errors.Is(err, ErrMismatch) {
		t.Fatal(err)
	}
}

func TestMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2id$", "$argon2id$v=19$m=a$x$y", "$argon2id$v=18$m=64,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if err := Verify("x", h); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Verify with hash %q: %v", h, err)
		}
	}
}

func TestCheck(t *testing.T) {
	if Check("1234567") == nil || Check("12345678") != nil || Check("密码密码密码密码") != nil || Check("\xff\xff\xff\xff\xff\xff\xff\xff") == nil || Check("tk1.looks-like-a-token") == nil {
		t.Fatal("password rules")
	}
}
