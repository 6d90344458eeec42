# Block the apply until a new SFU answers on every port from outside, on every
# address its name resolves to (A and AAAA).
resource "media_server_reachability" "sfu" {
  host = "sfu-eu-1.example.net"

  checks = [
    { protocol = "stun", transport = "udp", port = 3478 },
    { protocol = "stun", transport = "tcp", port = 3478 },
    {
      name     = "tls/443"
      protocol = "tls"
      port     = 443
      tls      = { min_cert_validity = "168h" } # fail a certificate that expires within a week
    },
    { protocol = "https", port = 443, path = "/health", expect_status = 200 },
    {
      # The RTP range: probe 16 ports spread across it (both ends included).
      # Leave out sample to probe every port in the range.
      name       = "rtp"
      protocol   = "stun"
      transport  = "udp"
      port_range = "10000-10999"
      sample     = 16
    },
  ]

  poll_interval = "500ms"

  # Re-verify when the instance behind the name is replaced.
  triggers = {
    instance_id = "i-0123456789abcdef0"
  }

  timeouts {
    create = "15m"
  }
}
