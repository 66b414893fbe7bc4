# Instance metadata that still answers IMDSv1 requests.
resource "aws_instance" "optional" {
  iam_instance_profile = aws_iam_instance_profile.node.name
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required" # expect: EC2003
  }
}

resource "aws_instance" "unset" { # expect: EC2003
  iam_instance_profile = aws_iam_instance_profile.node.name
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_launch_template" "unset_tokens" { # expect: EC2003
  iam_instance_profile {
    name = aws_iam_instance_profile.node.name
  }
  image_id = "ami-0c55b159cbfafe1f0"
  metadata_options {
    http_put_response_hop_limit = 1
    http_tokens                 = "required"
  }
}

resource "aws_spot_instance_request" "spot" {
  iam_instance_profile = aws_iam_instance_profile.node.name
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = "required" # expect: EC2003
  }
}

resource "aws_launch_configuration" "legacy" { # expect: EC2003
  iam_instance_profile = aws_iam_instance_profile.node.name
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = "required"
  }
}

# An AMI that requires IMDSv2 sets the default only: "optional" written on the
# instance still allows IMDSv1.
resource "aws_ami" "base" {
  name                = "base"
  root_device_name    = "/dev/xvda"
  imds_support        = "v2.0"
  virtualization_type = "hvm"
}

resource "aws_instance" "optional_on_hardened_ami" {
  iam_instance_profile = aws_iam_instance_profile.node.name
  ami           = aws_ami.base.id
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = "required" # expect: EC2003
  }
}
