"""Normalisation: parsed files of one unit -> the common resource graph."""
