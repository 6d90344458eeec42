# A check block reports an unreachable port as a warning on every plan and
# apply, without blocking anything.
check "sfu_ports" {
  data "media_server_reachability" "sfu" {
    host = "sfu-eu-1.example.net"

    checks = [
      { protocol = "stun", transport = "udp", port = 3478 },
      { protocol = "https", port = 443, path = "/health" },
    ]

    timeouts {
      read = "30s"
    }
  }

  assert {
    condition = data.media_server_reachability.sfu.reachable
    error_message = join("; ", [
      for r in data.media_server_reachability.sfu.results :
      "${r.name} on ${r.address} is ${r.status}: ${r.detail}" if r.status != "open"
    ])
  }
}
