variable "turn_shared_secret" {
  description = "coturn's static-auth-secret."
  type        = string
  sensitive   = true
  # Kept out of the plan file as well (Terraform 1.10 or later).
  ephemeral = true
}

# Credentials valid for 15 minutes from the moment Terraform derives them,
# during plan and again during apply. Neither they nor the secret are stored
# in the plan or the state.
ephemeral "media_turn_credentials" "smoke_test" {
  shared_secret = var.turn_shared_secret
  user          = "terraform-smoke-test"
  ttl           = "15m"
}

# Ephemeral values may feed provisioners: relay a few packets through the
# new TURN server with coturn's test client.
resource "terraform_data" "turn_smoke_test" {
  provisioner "local-exec" {
    command = "turnutils_uclient -y -n 5 -u \"$TURN_USERNAME\" -w \"$TURN_PASSWORD\" turn.example.net"
    environment = {
      TURN_USERNAME = ephemeral.media_turn_credentials.smoke_test.username
      TURN_PASSWORD = ephemeral.media_turn_credentials.smoke_test.password
    }
  }
}
