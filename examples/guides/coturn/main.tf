# A coturn server verified the way clients reach it: TURN over UDP 3478, over
# TCP 3478 for networks that block UDP, and over TLS on 443 for networks that
# allow only HTTPS. The UDP check also relays a datagram (relay_check) and
# proves that the server refuses to relay into private networks or to the
# cloud metadata address (deny_private_peers). Only then does the server join
# rotation.
variable "host" {
  description = "Public DNS name or IP address of the coturn server, as clients reach it, without scheme or port."
  type        = string
}

variable "turn_username" {
  description = "A coturn user kept for this check (a user= line in turnserver.conf)."
  type        = string
  default     = "reachability-probe"
}

# Ephemeral (Terraform 1.10 and later): the value is in neither the plan nor
# the state, and a resource takes it only in write-only arguments such as
# password_wo. Give it at every plan and apply, e.g. as TF_VAR_turn_password.
variable "turn_password" {
  description = "Password of turn_username."
  type        = string
  sensitive   = true
  ephemeral   = true
}

resource "media_server_reachability" "turn" {
  host = var.host

  checks = [
    {
      protocol  = "turn"
      transport = "udp"
      port      = 3478
      turn = {
        username           = var.turn_username
        password_wo        = var.turn_password # write-only: Terraform 1.11 and later
        relay_check        = true              # a datagram through the relay and back
        deny_private_peers = true              # 10.0.0.1, 169.254.169.254, ... must be refused
      }
    },
    {
      protocol  = "turn"
      transport = "tcp"
      port      = 3478
      turn      = { username = var.turn_username, password_wo = var.turn_password }
    },
    {
      protocol  = "turn"
      transport = "tls"
      port      = 443
      tls = {
        server_name       = "turn.example.com" # the name on coturn's certificate (cert=)
        min_cert_validity = "168h"
      }
      turn = { username = var.turn_username, password_wo = var.turn_password }
    },
  ]

  timeouts {
    create = "10m"
  }
}

# Stands in for whatever sends clients to the server: a DNS record, a load
# balancer target, the TURN URIs your signalling server hands out. It is
# created only after every check passed.
resource "terraform_data" "join_rotation" {
  input = var.host

  depends_on = [media_server_reachability.turn]
}
