package validators

import "testing"

func TestCheckAgentURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://agent.example.com:8443", true},
		{"https://203.0.113.5", true},
		{"http://127.0.0.1:9000", true},
		{"http://[::1]:9000", true},
		{"http://localhost:9000", true},
		{"http://agent.example.com", false},
		{"http://10.0.0.5:9000", false},
		{"ftp://agent.example.com", false},
		{"agent.example.com", false},
		{"https://", false},
		{"https://user:pw@agent.example.com", false},
		{"https://agent.example.com/?x=1", false},
		{"://bad", false},
	} {
		err := checkAgentURL(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("checkAgentURL(%q) = %v, want ok %v", tc.url, err, tc.ok)
		}
	}
}
