terraform {
  # replace_triggered_by needs Terraform 1.2; this provider needs 1.5.
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    media = {
      source = "mediareach/media"
    }
  }
}
