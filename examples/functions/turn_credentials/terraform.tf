terraform {
  # Provider-defined functions need Terraform 1.8 or later.
  required_version = ">= 1.8"

  required_providers {
    media = {
      source = "mediareach/media"
    }
  }
}
