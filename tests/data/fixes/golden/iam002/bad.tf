# IAM002: identity policies that allow "*", "<service>:*" or NotAction, written in every
# way Terraform can hold a policy.

resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  # "Temporary" admin access for debugging.
  inline_policy {
    name = "debug"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = ["ec2:DescribeInstances", "s3:GetObject", "s3:PutObject", "sqs:SendMessage"] # expect: IAM002
        Resource = "*"
      }]
    })
  }
}

resource "aws_iam_role_policy" "app_data" {
  name = "data"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        # IAM action names are case-insensitive: "SQS:*" is sqs:*.
        Action = [
          "s3:GetObject",
          "s3:PutObject",  # expect: IAM002
          "sqs:SendMessage", # expect: IAM002
        ]
        Resource = ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*", "arn:aws:sqs:eu-west-1:123456789012:app-jobs"]
      },
      {
        Effect   = "Deny"
        Action   = "s3:*"
        Resource = "arn:aws:s3:::app-audit/*"
      },
    ]
  })
}

resource "aws_iam_role_policy" "app_table" {
  name   = "table"
  role   = aws_iam_role.app.id
  policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": "dynamodb:*",
          "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/app-sessions"
        }
      ]
    }
  EOT
}
# A comment inside the heredoc would change the policy text: the line is named here.
# expect-line: IAM002 62

# Everything except IAM: still every other service, including the ones AWS adds later.
data "aws_iam_policy_document" "ops" {
  statement {
    effect      = "Allow"
    not_actions = ["iam:*", "organizations:*"] # expect: IAM002
    resources   = ["*"]
  }
}

resource "aws_iam_policy" "ops" {
  name   = "ops-everything-but-iam"
  policy = data.aws_iam_policy_document.ops.json
}

resource "aws_iam_role_policy_attachment" "app_ops" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.ops.arn
}

# One managed policy attached to two roles: one finding, on the policy.
resource "aws_iam_policy" "keys" {
  name = "kms-admin"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "kms:*" # expect: IAM002
      Resource = "*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "app_keys" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.keys.arn
}

resource "aws_iam_role" "rotation" {
  name = "key-rotation"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "rotation_keys" {
  role       = aws_iam_role.rotation.name
  policy_arn = aws_iam_policy.keys.arn
}

# Attached to nothing in the scanned code: still reported (as a warning).
resource "aws_iam_policy" "spare" {
  name = "ec2-everything"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["ec2:DescribeInstances"] # expect: IAM002
      Resource = "*"
    }]
  })
}

resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.app.name
}

resource "aws_instance" "app" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.small"
  iam_instance_profile = aws_iam_instance_profile.app.name

  metadata_options {
    http_tokens = "required"
  }
}
