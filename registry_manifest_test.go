package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
)

// TestRegistryManifest: the manifest that releases ship for the Terraform
// Registry declares the protocol that main serves, and only that one.
func TestRegistryManifest(t *testing.T) {
	b, err := os.ReadFile("terraform-registry-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatalf("terraform-registry-manifest.json: %v", err)
	}
	if manifest.Version != 1 {
		t.Errorf("manifest version %d, want 1", manifest.Version)
	}
	want := []string{fmt.Sprintf("%d.0", protocolVersion)}
	if got := manifest.Metadata.ProtocolVersions; !slices.Equal(got, want) {
		t.Errorf("manifest protocol_versions %q, want %q: main serves protocol %d", got, want, protocolVersion)
	}
}
