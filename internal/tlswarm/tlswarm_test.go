package tlswarm

import (
	"testing"
	"time"
)

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
