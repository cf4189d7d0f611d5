"""One module per command; poolcheck/cli.py discovers them."""
