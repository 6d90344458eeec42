package main

import (
	"maps"
	"os"
	"testing"
)

// serveProviderEnv makes the test binary serve the provider (run main)
// instead of running tests, so that a test can hand it to a real terraform
// as the plugin (sigterm_unix_test.go).
const serveProviderEnv = "MEDIA_TEST_SERVE_PROVIDER"

func TestMain(m *testing.M) {
	if os.Getenv(serveProviderEnv) == "1" {
		main()
		return
	}
	m.Run()
}

func TestQuietUnreadLogs(t *testing.T) {
	off := map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER": "off"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"nobody reads logs", map[string]string{}, off},
		{"unrelated variables", map[string]string{"HOME": "/root"}, merge(off, map[string]string{"HOME": "/root"})},
		{"TF_LOG=DEBUG", map[string]string{"TF_LOG": "DEBUG"}, map[string]string{"TF_LOG": "DEBUG"}},
		{"provider level only", map[string]string{"TF_LOG_PROVIDER": "TRACE"}, map[string]string{"TF_LOG_PROVIDER": "TRACE"}},
		{"acceptance test log file", map[string]string{"TF_ACC_LOG_PATH": "/tmp/x"}, map[string]string{"TF_ACC_LOG_PATH": "/tmp/x"}},
		{"SDK level set", map[string]string{"TF_LOG_SDK_FRAMEWORK": "DEBUG"}, map[string]string{"TF_LOG_SDK_FRAMEWORK": "DEBUG"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			quietUnreadLogs(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if !maps.Equal(env, tc.want) {
				t.Fatalf("env = %v, want %v", env, tc.want)
			}
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}
