"""An example iamlint rule package (see README.md)."""
