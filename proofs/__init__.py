"""Exhaustive and symbolic engines: what is proved within stated bounds."""
