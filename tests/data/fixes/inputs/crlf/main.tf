# Written on Windows: every line ends with CR LF.
resource "aws_instance" "app" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.app.name

  metadata_options {
    http_endpoint = "enabled"
  }
}

resource "aws_launch_template" "app" {
  image_id = "ami-0c55b159cbfafe1f0"
  iam_instance_profile {
    name = aws_iam_instance_profile.app.name
  }
}

resource "aws_iam_instance_profile" "app" {
  role = aws_iam_role.app.name
}

# iamlint:ignore EC2003 -- nothing to hide here any more
resource "aws_iam_role" "app" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObjcet", "s3:ListBucket"]
      Resource = "*"
    }]
  })
}
