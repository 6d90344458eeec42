terraform {
  required_providers {
    media = {
      source = "mediareach/media"
    }
  }
}
