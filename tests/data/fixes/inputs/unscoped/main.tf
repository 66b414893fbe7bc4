resource "aws_instance" "app" {
  ami                  = "ami-0c55b159cbfafe1f0"
  iam_instance_profile = aws_iam_instance_profile.app.name
  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_iam_instance_profile" "app" {
  role = aws_iam_role.app.name
}

resource "aws_iam_role" "app" {
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = [
        "s3:GetObject",
        "s3:DeleteObject",
        "ec2:TerminateInstances",
      ]
      Resource = "*"
    }]
  })
}

data "aws_iam_policy_document" "reports" {
  statement {
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteQueue", "sqs:SendMessage"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "reports" {
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.reports.json
}
