# One `mediaprobe agent` outside the servers' network, on a small VM in
# another cloud or region. Its token comes from MEDIA_AGENT_TOKEN_EU_WEST.
provider "media" {
  agents = [
    { name = "eu-west", url = "https://probe-eu.example.net:8443" },
  ]
}

# Probed from the agent, as a customer on the internet would. The new server
# runs `mediaprobe respond` from its first boot, so this passes as soon as
# the network path is open, before the media software is installed.
resource "media_server_reachability" "sfu" {
  host           = "sfu-eu-1.example.net"
  vantage_points = ["eu-west"]

  checks = [
    { protocol = "stun", transport = "udp", port = 3478 },
    { protocol = "stun", transport = "tcp", port = 3478 },
    { protocol = "tcp", port = 443 },
    { protocol = "stun", transport = "udp", port_range = "50000-50100" },
  ]

  timeouts {
    create = "15m"
  }
}

# Stands in for whatever sends customers to the server: a DNS record, a load
# balancer target. It is created only once the agent saw every port answer.
resource "terraform_data" "rotation" {
  input = media_server_reachability.sfu.host

  depends_on = [media_server_reachability.sfu]
}
