package agent

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MinTokenLen is the shortest token a token file may hold.
const MinTokenLen = 16

// Token is one named bearer token. Name is what the logs say; Secret is
// never logged.
type Token struct {
	Name   string
	Secret string
}

// ParseTokens reads a token file: one "name:token" per line; blank lines
// and lines starting with # are skipped. Names must be unique and tokens at
// least MinTokenLen characters. Errors name the line, never the token.
func ParseTokens(r io.Reader) ([]Token, error) {
	var toks []Token
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, secret, ok := strings.Cut(line, ":")
		name, secret = strings.TrimSpace(name), strings.TrimSpace(secret)
		switch {
		case !ok || name == "":
			return nil, fmt.Errorf("token file line %d: want name:token", n)
		case len(secret) < MinTokenLen:
			return nil, fmt.Errorf("token file line %d (%s): the token is shorter than %d characters", n, name, MinTokenLen)
		case seen[name]:
			return nil, fmt.Errorf("token file line %d: the name %s is used twice", n, name)
		}
		seen[name] = true
		toks = append(toks, Token{Name: name, Secret: secret})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	if len(toks) == 0 {
		return nil, errors.New("the token file holds no token")
	}
	return toks, nil
}

// authenticator compares a bearer token against every entry in constant
// time: the hashes have equal length, and every entry is compared.
type authenticator struct {
	names  []string
	hashes [][sha256.Size]byte
}

func newAuthenticator(toks []Token) *authenticator {
	a := &authenticator{}
	for _, t := range toks {
		a.names = append(a.names, t.Name)
		a.hashes = append(a.hashes, sha256.Sum256([]byte(t.Secret)))
	}
	return a
}

// who returns the name of the token r carries, or "" when it carries none
// or a wrong one.
func (a *authenticator) who(r *http.Request) string {
	h := r.Header.Get("Authorization")
	given, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || given == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(given))
	match := -1
	for i := range a.hashes {
		if subtle.ConstantTimeCompare(sum[:], a.hashes[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return ""
	}
	return a.names[match]
}
