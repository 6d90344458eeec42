package tlswarm

import (
	"bytes"
	"crypto/elliptic"
	"testing"
	"time"
)

// TestBaseMult guards the warm-up against a Go release that rejects the
// fixed key or skips the multiplication: the work would then silently move
// back onto the critical path. 1 x G is G.
func TestBaseMult(t *testing.T) {
	got, err := baseMult()
	if err != nil {
		t.Fatalf("P-521 scalar base multiplication with the fixed key: %v", err)
	}
	p := elliptic.P521().Params()
	want := append([]byte{4}, append(p.Gx.FillBytes(make([]byte, 66)), p.Gy.FillBytes(make([]byte, 66))...)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("1 x G = %x, want the base point %x", got, want)
	}
}

func TestStartOnlyUnderAutoMTLS(t *testing.T) {
	if done := start(func(string) string { return "" }); done != nil {
		t.Fatal("started without PLUGIN_CLIENT_CERT: a plugin run by hand or in debug mode generates no P-521 key")
	}
	env := map[string]string{clientCertEnv: "-----BEGIN CERTIFICATE-----"}
	done := start(func(k string) string { return env[k] })
	if done == nil {
		t.Fatal("not started although Terraform asked for automatic mTLS")
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the P-521 table was not built within 10s")
	}
}
