# Investigate a server that does not pass: with on_failure = "warn" a failed
# verification is saved with reachable = false and every result, and the
# apply goes on. Not for gating: whatever depends_on this is created anyway.
resource "media_server_reachability" "investigate" {
  host = "sfu-eu-1.example.net"

  checks = [
    { protocol = "stun", transport = "udp", port = 3478 },
    { protocol = "tls", port = 443 },
    { protocol = "stun", transport = "udp", port_range = "10000-10999", sample = 16 },
  ]

  on_failure    = "warn"
  error_timeout = "30s" # give up sooner on a port that answers wrongly

  timeouts {
    create = "2m"
  }
}

# Every result that is not open, as "name address: status (detail)".
output "not_passed" {
  value = [
    for r in media_server_reachability.investigate.results :
    "${r.name} ${r.address}: ${r.status}${r.detail == null ? "" : " (${r.detail})"}"
    if r.status != "open"
  ]
}
