terraform {
  required_providers {
    media = {
      source = "mediareach/media"
    }
  }
}

# Nothing is required. max_concurrency caps the probes in flight at once
# across every media_server_reachability in the run.
provider "media" {
  max_concurrency = 256
}
