terraform {
  # An ephemeral input variable (1.10) fed to write-only arguments (1.11).
  required_version = ">= 1.11"

  required_providers {
    media = {
      source = "mediareach/media"
    }
  }
}
