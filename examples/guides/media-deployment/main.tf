# A media server that takes SIP trunks, RTMP and SRT ingest and serves RTSP.
# The apply waits until each service answers its own protocol from outside;
# only then does the server join rotation.
variable "host" {
  description = "Public DNS name or IP address of the new media server, as clients reach it, without scheme or port."
  type        = string
}

resource "media_server_reachability" "media" {
  host = var.host

  checks = [
    # SIP: any response to OPTIONS (200, 401, 404, ...) proves a SIP stack.
    { protocol = "sip", transport = "udp", port = 5060 },
    {
      protocol  = "sip"
      transport = "tls"
      port      = 5061
      tls = {
        server_name       = "sip.example.net" # the name on the server's certificate
        min_cert_validity = "168h"
      }
    },
    # RTMP ingest: the version 3 handshake, then close; nothing is published.
    { protocol = "rtmp", port = 1935 },
    # SRT ingest: the induction handshake only; no connection is made.
    { protocol = "srt", port = 9000 },
    # RTSP: OPTIONS for the stream's URL; 401 passes too.
    { protocol = "rtsp", port = 8554, path = "/live/cam1" },
  ]

  timeouts {
    create = "15m"
  }
}

# Stands in for whatever sends traffic to the server: a DNS record, a load
# balancer target, a SIP dispatcher entry. It is created only after every
# check passed.
resource "terraform_data" "join_rotation" {
  input = var.host

  depends_on = [media_server_reachability.media]
}
