# Verified from an agent outside the servers' network only: the TURN port must
# answer, and coturn's CLI and the database must not answer from the internet.
resource "media_server_reachability" "outside" {
  host             = "turn.example.com"
  require_external = true

  checks = [
    { protocol = "stun", port = 3478, transport = "udp" },
    { name = "coturn-cli", protocol = "tcp", port = 5766, expect = "unreachable" },
    { name = "postgres", protocol = "tcp", port = 5432, expect = "unreachable" },
  ]
}
