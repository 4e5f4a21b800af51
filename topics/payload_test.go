package topics

import "testing"

func TestMessageID(t *testing.T) {
	for payload, want := range map[string]int64{
		`{"id":42,"from":"alice","text":"你好"}`: 42,
		`{"from":"alice"}`:                     0,
		`{"id":"42"}`:                          0,
		`not json`:                             0,
	} {
		if got := MessageID([]byte(payload)); got != want {
			t.Errorf("MessageID(%s) = %d, want %d", payload, got, want)
		}
	}
}
