terraform {
  # Ephemeral resources need Terraform 1.10 or later.
  required_version = ">= 1.10"

  required_providers {
    media = {
      source = "mediareach/media"
    }
  }
}
