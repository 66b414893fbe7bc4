# EC2001: compute that gets no role, in every form Terraform can launch an instance.

# A bastion host written before the team used roles.
resource "aws_instance" "bastion" { # expect: EC2001
  ami                         = "ami-0c55b159cbfafe1f0"
  instance_type               = "t3.nano"
  subnet_id                   = "subnet-0a1b2c3d4e5f60718"
  associate_public_ip_address = true

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name = "bastion"
  }
  iam_instance_profile = aws_iam_instance_profile.bastion.name
}

# The profile was "removed for now" by emptying it.
resource "aws_instance" "reporting" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.small"
  iam_instance_profile = aws_iam_instance_profile.reporting.name # expect: EC2001

  metadata_options {
    http_tokens = "required"
  }
}

# null is "not set", whatever a module caller meant by it.
resource "aws_instance" "batch_worker" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "c6i.large"
  iam_instance_profile = aws_iam_instance_profile.batch_worker.name # expect: EC2001

  metadata_options {
    http_tokens = "required"
  }
}

# An Auto Scaling group launching from it does not give the template a role.
resource "aws_launch_template" "api" { # expect: EC2001
  name_prefix   = "api-"
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.medium"

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  iam_instance_profile {
    name = aws_iam_instance_profile.api.name
  }
}

resource "aws_autoscaling_group" "api" {
  name                = "api"
  min_size            = 2
  max_size            = 6
  vpc_zone_identifier = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]

  launch_template {
    id      = aws_launch_template.api.id
    version = "$Latest"
  }
}

resource "aws_launch_configuration" "legacy_web" { # expect: EC2001
  name_prefix   = "legacy-web-"
  image_id      = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.small"
  iam_instance_profile = aws_iam_instance_profile.legacy_web.name

  metadata_options {
    http_tokens = "required"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_spot_instance_request" "render" { # expect: EC2001
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "g4dn.xlarge"
  spot_price           = "0.25"
  wait_for_fulfillment = true
  iam_instance_profile = aws_iam_instance_profile.render.name

  metadata_options {
    http_tokens = "required"
  }
}

# The profile is attached in production only: every other environment's instance gets
# none (reported at the branch without it, "only when var.production is false").
variable "production" {
  type = bool
}

resource "aws_iam_role" "worker" {
  name = "worker"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_instance_profile" "worker" {
  name = "worker"
  role = aws_iam_role.worker.name
}

resource "aws_instance" "worker" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.small"
  iam_instance_profile = var.production ? aws_iam_instance_profile.worker.name : null # expect: EC2001

  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_iam_role" "bastion" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_instance_profile" "bastion" {
  role = aws_iam_role.bastion.name
}

resource "aws_iam_role" "reporting" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_instance_profile" "reporting" {
  role = aws_iam_role.reporting.name
}

resource "aws_iam_role" "batch_worker" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_instance_profile" "batch_worker" {
  role = aws_iam_role.batch_worker.name
}

resource "aws_iam_role" "api" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_instance_profile" "api" {
  role = aws_iam_role.api.name
}

resource "aws_iam_role" "legacy_web" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_instance_profile" "legacy_web" {
  role = aws_iam_role.legacy_web.name
}

resource "aws_iam_role" "render" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_instance_profile" "render" {
  role = aws_iam_role.render.name
}
