package testnet

import "testing"

func TestParseEphemeralLow(t *testing.T) {
	tests := []struct {
		in   string
		low  int
		good bool
	}{
		{"32768\t60999\n", 32768, true},
		{"1024 65535", 1024, true},
		{"", 0, false},
		{"32768", 0, false},
		{"x 60999", 0, false},
		{"0 60999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			low, ok := parseEphemeralLow(tt.in)
			if low != tt.low || ok != tt.good {
				t.Errorf("parseEphemeralLow(%q) = %d, %v; want %d, %v", tt.in, low, ok, tt.low, tt.good)
			}
		})
	}
}
