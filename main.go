// Command terraform-provider-media serves the media provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/mediareach/terraform-provider-media/internal/provider"
)

// version and commit are set by goreleaser (-X main.version, -X main.commit).
var (
	version = "dev"
	commit  = "none"
)

// providerAddress is the registry address.
const providerAddress = "registry.terraform.io/mediareach/media"

// protocolVersion is the plugin protocol served, the one that
// terraform-registry-manifest.json declares (TestRegistryManifest).
const protocolVersion = 6

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	if !debug {
		// A SIGTERM to Terraform's process group is Terraform's to handle
		// (sigterm.go). Under -debug the provider is not Terraform's child.
		outliveSIGTERM()
	}
	quietUnreadLogs(os.Getenv, os.Setenv)

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         providerAddress,
		Debug:           debug,
		ProtocolVersion: protocolVersion,
	})
	if err != nil {
		log.Fatalf("terraform-provider-media %s (%s): %s", version, commit, err)
	}
}

// logReaders are the variables with which someone asks for plugin logs:
// Terraform's own, per-provider and SDK levels, and the test framework's.
var logReaders = []string{
	"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PROVIDER_MEDIA", "TF_LOG_PATH_MASK", "TF_ACC_LOG_PATH",
	"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO_DATA_DIR",
}

// quietUnreadLogs turns plugin logging off when nobody asked for it. The
// plugin SDK logs every attribute it touches at TRACE and Terraform parses
// each line even when it then discards it: without this, the 50-resource,
// 1,000-port apply took 1.79x as long (make bench row 2c, median of 5
// per-round ratios, 1.67-2.67x; 1.65x in another run). Any TF_LOG* setting,
// e.g. TF_LOG=DEBUG, leaves logging exactly as the user asked.
func quietUnreadLogs(getenv func(string) string, setenv func(key, value string) error) {
	for _, k := range logReaders {
		if getenv(k) != "" {
			return
		}
	}
	for _, k := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"} {
		_ = setenv(k, "off")
	}
}
