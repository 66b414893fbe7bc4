# SUP001: suppressions that hide nothing. A suppression finding sits on the comment
# itself, and a marker there would become part of the suppression's reason, so each
# one is named by an expect-line marker right below it.

resource "aws_iam_role" "build" {
  name = "build"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_instance_profile" "build" {
  name = "build"
  role = aws_iam_role.build.name
}

# The build box got its role in PR 214; the suppression stayed behind.
# expect-line: SUP001 23
resource "aws_instance" "build" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "c6i.large"
  iam_instance_profile = aws_iam_instance_profile.build.name

  metadata_options {
    http_tokens = "required"
  }
}
# expect-line: SUP001 31

# Written above the wrong resource: a bucket has no instance profile to miss.
# expect-line: SUP001 37
resource "aws_s3_bucket" "logs" {
  bucket = "acme-build-logs"
}

# One code of two is in use: the kiosk has no profile (EC2001 is hidden), but it
# requires IMDSv2, so there is no EC2003 to hide.
# iamlint:ignore EC2001 -- kiosk image without AWS access, see ADR-19
# expect-line: SUP001 45
resource "aws_instance" "kiosk" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"

  metadata_options {
    http_tokens = "required"
  }
}

# A misspelt code suppresses nothing: the finding it was meant for is still reported.
# expect-line: SUP001 57
resource "aws_instance" "scratch" { # expect: EC2001
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"

  metadata_options {
    http_tokens = "required"
  }
}

# A suppression that names no rule at all.
# expect-line: SUP001 69
resource "aws_iam_role_policy" "build" {
  name = "artifacts"
  role = aws_iam_role.build.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "arn:aws:s3:::acme-build-artifacts/*"
    }]
  })
}
