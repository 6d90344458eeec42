variable "turn_shared_secret" {
  description = "coturn's static-auth-secret."
  type        = string
  sensitive   = true
}

locals {
  # Credentials for a WebRTC client config that last a day from the plan.
  # plantimestamp() is the same during plan and apply, so the function gives
  # the same result both times; it changes on every plan, so do the
  # credentials. The sensitive variable makes them sensitive too.
  turn = provider::media::turn_credentials(
    var.turn_shared_secret,
    "webrtc-client",
    timeadd(plantimestamp(), "24h"),
  )
}

output "ice_servers" {
  value = [{
    urls       = ["turn:turn.example.net:3478?transport=udp", "turns:turn.example.net:443?transport=tcp"]
    username   = local.turn.username
    credential = local.turn.password
  }]
  sensitive = true
}
