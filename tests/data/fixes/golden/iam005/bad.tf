# Actions and service prefixes that do not exist.
resource "aws_iam_policy" "app" {
  name = "app"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "s3:GetObject",         # expect: IAM005
          "ec2:DescribeInstances", # expect: IAM005
          "s4:ListBucket",        # expect: IAM005
          "S3:getobject", # expect: IAM008
          "sqs:Receive*",         # expect: IAM005
        ]
        Resource = "*"
      },
    ]
  })
}

data "aws_iam_policy_document" "deny" {
  statement {
    effect    = "Deny"
    actions   = ["iam:PassRole"] # expect: IAM005
    resources = ["*"]
  }
}

resource "aws_iam_policy" "deny" {
  name   = "deny"
  policy = data.aws_iam_policy_document.deny.json
}
