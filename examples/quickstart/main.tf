# The `make demo` configuration: one media_server_reachability that blocks the
# apply until a TCP port and a STUN port (over UDP and TCP) answer. It uses
# only this provider; scripts/demo.sh supplies the ports.
terraform {
  required_providers {
    media = {
      source = "mediareach/media"
    }
  }
}

variable "host" {
  description = "Name or IP address of the server to verify."
  type        = string
  default     = "127.0.0.1"
}

variable "tcp_port" {
  description = "A TCP port that must accept connections."
  type        = number
}

variable "stun_port" {
  description = "A port that must answer STUN Binding requests over UDP and TCP."
  type        = number
}

variable "create_timeout" {
  description = "How long the apply may wait for every port to answer."
  type        = string
  default     = "20s"
}

resource "media_server_reachability" "quickstart" {
  host = var.host

  checks = [
    { protocol = "tcp", port = var.tcp_port },
    { protocol = "stun", transport = "udp", port = var.stun_port },
    { protocol = "stun", transport = "tcp", port = var.stun_port },
  ]

  timeouts {
    create = var.create_timeout
  }
}

output "results" {
  value = media_server_reachability.quickstart.results
}
