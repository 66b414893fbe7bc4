variable "tokens" {
  description = "IMDS token setting"
  default     = "optional"
}

resource "aws_instance" "app" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = "app-profile"

  metadata_options {
    http_tokens = var.tokens
  }
}
