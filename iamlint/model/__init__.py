"""Format-independent data model: spans, three-valued values, policies and the resource graph."""
