"""Terraform HCL parsing: text -> :mod:`syntax` tree with spans (via python-hcl2's grammar)."""
