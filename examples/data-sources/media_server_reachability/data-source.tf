# Probe each check once. The data source never fails because a port is
# closed: read reachable and results instead.
data "media_server_reachability" "turn" {
  host = "turn.example.net"

  checks = [
    { protocol = "stun", transport = "udp", port = 3478 },
    { protocol = "stun", transport = "tcp", port = 3478 },
    { protocol = "tls", port = 5349 },
  ]
}

output "turn_reachable" {
  value = data.media_server_reachability.turn.reachable
}

output "turn_not_open" {
  value = [
    for r in data.media_server_reachability.turn.results :
    "${r.name} on ${r.address}: ${r.status} (${r.detail})" if r.status != "open"
  ]
}
