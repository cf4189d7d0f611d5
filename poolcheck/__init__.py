"""THE TOOL: command line, campaign runner, report rendering."""

__version__ = "0.1.0"
