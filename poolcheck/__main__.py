from poolcheck.cli import entry

entry()
