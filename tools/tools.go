//go:build generate

// Package tools pins the code generators this repository runs. It lives in its
// own module so that their dependencies stay out of the provider's go.mod, and
// behind the "generate" build tag, which only `go generate` sets.
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)

// Format the Terraform examples that the documentation embeds.
//go:generate terraform fmt -recursive ../examples/

// Generate docs/ from the provider schema, templates/ and examples/.
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name media
