"""iamlint: prove that EC2 instances run with least-privilege IAM roles."""

__version__ = "0.1.0"
