terraform {
  required_providers {
    media = {
      source = "mediareach/media"
    }
  }
}

# Nothing is required. max_concurrency caps the probes in flight at once
# across every media_server_reachability in the run. agents are
# `mediaprobe agent` servers outside the servers' network: checks run from
# them by default. Their tokens come from MEDIA_AGENT_TOKEN_<NAME>
# (MEDIA_AGENT_TOKEN_EU_WEST here) when not set in the configuration.
provider "media" {
  max_concurrency = 256

  agents = [
    { name = "eu-west", url = "https://probe-eu.example.net:8443" },
  ]
}
