// Command terraform-provider-baseline is the cost floor for `make bench`: a
// minimal terraform-plugin-framework provider whose one resource,
// baseline_ports, only dials TCP ports until they connect. It has no
// validation beyond types, no defaults, no logging and no computed results,
// so an apply with it is what any framework provider that dials the same
// ports must pay. bench/applybench times our provider against it.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// providerAddress is what the bench's dev_overrides map to the binary.
const providerAddress = "registry.terraform.io/mediareach/baseline"

func main() {
	err := providerserver.Serve(context.Background(), newProvider, providerserver.ServeOpts{
		Address:         providerAddress,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatal(err)
	}
}
