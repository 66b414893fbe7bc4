# IAM001: instance roles (wrapped in an instance profile) whose trust policy lets
# someone other than the EC2 service assume them.

variable "partner_account_id" {
  description = "Account of the reporting partner"
  type        = string
}

# Shared with a Lambda function "to save a role".
resource "aws_iam_role" "shared" {
  name = "app-shared"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action = "sts:AssumeRole"
    }]
  })
}

# Another account's root: every admin of that account can become the instance.
resource "aws_iam_role" "cross_account" {
  name = "reporting"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "ec2.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::111122223333:root" } # expect: IAM001
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "sts:ExternalId" = "reporting-7f3a" } }
      },
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${var.partner_account_id}:role/partner-etl" } # expect: IAM001
        Action    = "sts:AssumeRole"
      },
    ]
  })
}

# Anyone at all, in any account.
resource "aws_iam_role" "anyone" {
  name = "debug"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" } # expect: IAM001
      Action    = "sts:AssumeRole"
    }]
  })
}

# A CI pipeline federated through GitHub's OIDC provider, in a policy document.
data "aws_iam_policy_document" "ci_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"] # expect: IAM001
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"] # expect: IAM001
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:acme/app:*"]
    }
  }
}

resource "aws_iam_role" "ci" {
  name               = "ci-builder"
  assume_role_policy = data.aws_iam_policy_document.ci_trust.json
}

# NotPrincipal in an Allow: everyone except the listed principal; and more than AssumeRole.
resource "aws_iam_role" "wide_actions" {
  name = "batch"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect       = "Allow"
        NotPrincipal = { AWS = "arn:aws:iam::123456789012:role/break-glass" } # expect: IAM001
        Action       = "sts:AssumeRole"
      },
      {
        Effect    = "Allow"
        Principal = { Service = "ec2.amazonaws.com" }
        Action    = "sts:*" # expect: IAM001
      },
      {
        Effect    = "Allow"
        Principal = { Service = "ec2.amazonaws.com" }
        NotAction = "sts:TagSession" # expect: IAM001
      },
    ]
  })
}

resource "aws_iam_instance_profile" "shared" {
  name = "app-shared"
  role = aws_iam_role.shared.name
}

resource "aws_iam_instance_profile" "cross_account" {
  name = "reporting"
  role = aws_iam_role.cross_account.name
}

resource "aws_iam_instance_profile" "anyone" {
  name = "debug"
  role = aws_iam_role.anyone.name
}

resource "aws_iam_instance_profile" "ci" {
  name = "ci-builder"
  role = aws_iam_role.ci.name
}

resource "aws_iam_instance_profile" "wide_actions" {
  name = "batch"
  role = aws_iam_role.wide_actions.name
}
