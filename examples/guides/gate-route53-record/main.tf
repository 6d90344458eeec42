# Verify the new SFU from outside first: the record that sends clients to it
# is created only after every port answered, so no client is sent to a server
# that it cannot reach.
resource "media_server_reachability" "sfu" {
  host = "sfu-eu-1.example.net"

  checks = [
    { protocol = "stun", transport = "udp", port = 3478 },
    { protocol = "stun", transport = "tcp", port = 3478 },
    { protocol = "tls", port = 443 },
  ]

  timeouts {
    create = "15m"
  }
}

resource "aws_route53_record" "sfu" {
  zone_id = "Z0123456789EXAMPLE"
  name    = "sfu-eu-1.media.example.com"
  type    = "CNAME"
  ttl     = 60
  records = ["sfu-eu-1.example.net"]

  depends_on = [media_server_reachability.sfu]
}
