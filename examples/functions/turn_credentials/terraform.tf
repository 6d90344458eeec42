terraform {
  # Provider-defined functions need Terraform 1.8 or later; plantimestamp()
  # in their arguments needs 1.10 (1.8 and 1.9 give it as year 1 while
  # validating, hashicorp/terraform#35898).
  required_version = ">= 1.10"

  required_providers {
    media = {
      source = "mediareach/media"
    }
  }
}
