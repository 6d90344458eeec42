// Command terraform-provider-media serves the media provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/mediareach/terraform-provider-media/internal/provider"
)

// version and commit are set by goreleaser (-X main.version, -X main.commit).
var (
	version = "dev"
	commit  = "none"
)

// providerAddress is the registry address; protocol 6 is served, as
// terraform-registry-manifest.json declares.
const providerAddress = "registry.terraform.io/mediareach/media"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         providerAddress,
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatalf("terraform-provider-media %s (%s): %s", version, commit, err)
	}
}
