package agent

import (
	"net/http"
	"strings"
	"testing"
)

func TestParseTokens(t *testing.T) {
	toks, err := ParseTokens(strings.NewReader("# comment\n\nci: " + testToken + "\nops:" + otherToken + "\n"))
	if err != nil || len(toks) != 2 || toks[0].Name != "ci" || toks[0].Secret != testToken || toks[1].Name != "ops" {
		t.Fatalf("ParseTokens = %+v, %v", toks, err)
	}
	for name, file := range map[string]string{
		"empty":      "# nothing\n",
		"no colon":   testToken + "\n",
		"no name":    ":" + testToken + "\n",
		"short":      "ci:short-secret\n",
		"duplicated": "ci:" + testToken + "\nci:" + otherToken + "\n",
	} {
		_, err := ParseTokens(strings.NewReader(file))
		if err == nil {
			t.Errorf("%s: want an error", name)
			continue
		}
		for _, secret := range []string{testToken, otherToken, "short-secret"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error holds a token: %v", name, err)
			}
		}
	}
}

func TestAuthenticatorWho(t *testing.T) {
	a := newAuthenticator([]Token{{Name: "ci", Secret: testToken}, {Name: "ops", Secret: otherToken}})
	for header, want := range map[string]string{
		"Bearer " + testToken:       "ci",
		"Bearer " + otherToken:      "ops",
		"Bearer " + testToken + " ": "",
		"bearer " + testToken:       "",
		"Basic " + testToken:        "",
		testToken:                   "",
		"Bearer ":                   "",
		"":                          "",
	} {
		r, _ := http.NewRequest(http.MethodPost, "/", nil) //nolint:noctx // never sent
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		if got := a.who(r); got != want {
			t.Errorf("who(%q) = %q, want %q", header, got, want)
		}
	}
}
