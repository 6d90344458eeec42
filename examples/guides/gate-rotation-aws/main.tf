# A media server joins rotation only after it answers from outside: the
# Route 53 record and the load balancer target that send clients to it are
# created after media_server_reachability passed, and a replacement instance
# is verified again before the load balancer sends it traffic.

variable "vpc_id" {
  description = "VPC of the media server."
  type        = string
}

variable "subnet_id" {
  description = "Public subnet for the media server."
  type        = string
}

variable "ami_id" {
  description = "AMI of the media server."
  type        = string
}

variable "user_data" {
  description = "cloud-init that installs and starts the media software (STUN on 3478, HTTPS on 443)."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone of the record that sends clients to the server."
  type        = string
}

variable "target_group_arn" {
  description = "Load balancer target group that the server joins."
  type        = string
}

locals {
  # The ports the security group opens are the ports the checks verify.
  ingress = {
    stun_udp = { ip_protocol = "udp", port = 3478 }
    stun_tcp = { ip_protocol = "tcp", port = 3478 }
    https    = { ip_protocol = "tcp", port = 443 }
  }
}

resource "aws_security_group" "sfu" {
  name_prefix = "sfu-"
  description = "Media server: STUN and HTTPS from anywhere"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "media" {
  for_each = local.ingress

  security_group_id = aws_security_group.sfu.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = each.value.ip_protocol
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.sfu.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_instance" "sfu" {
  ami                    = var.ami_id
  instance_type          = "c6i.xlarge"
  subnet_id              = var.subnet_id
  vpc_security_group_ids = [aws_security_group.sfu.id]

  user_data = var.user_data
  # New user data means a new instance, which is then verified again.
  user_data_replace_on_change = true

  tags = {
    Name = "sfu-eu-1"
  }
}

# The address clients use stays the same when the instance is replaced.
resource "aws_eip" "sfu" {
  domain   = "vpc"
  instance = aws_instance.sfu.id
}

resource "media_server_reachability" "sfu" {
  host = aws_eip.sfu.public_ip

  checks = [
    { protocol = "stun", transport = "udp", port = 3478 },
    { protocol = "stun", transport = "tcp", port = 3478 },
    # The certificate is issued for the record's name, not for the IP address.
    { protocol = "https", port = 443, path = "/health", tls = { server_name = "sfu-eu-1.media.example.com" } },
  ]

  timeouts {
    create = "15m" # boot, cloud-init and the media software's start
  }

  # Start counting the timeout once the rules exist.
  depends_on = [aws_vpc_security_group_ingress_rule.media]

  lifecycle {
    # The Elastic IP, and so host, stays the same when the instance is
    # replaced: verify the new instance all the same.
    replace_triggered_by = [aws_instance.sfu.id]
  }
}

resource "aws_route53_record" "sfu" {
  zone_id = var.zone_id
  name    = "sfu-eu-1.media.example.com"
  type    = "A"
  ttl     = 60
  records = [aws_eip.sfu.public_ip]

  depends_on = [media_server_reachability.sfu]
}

resource "aws_lb_target_group_attachment" "sfu" {
  target_group_arn = var.target_group_arn
  target_id        = aws_instance.sfu.id

  depends_on = [media_server_reachability.sfu]
}
