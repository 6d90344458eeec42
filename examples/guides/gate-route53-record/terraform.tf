terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
    media = {
      source = "mediareach/media"
    }
  }
}
