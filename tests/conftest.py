"""Shared test set-up: Hypothesis profiles (properties/profiles.py)."""

from __future__ import annotations

from properties.profiles import load_default

# ``pytest --hypothesis-profile NAME`` (Hypothesis's own option) overrides this.
load_default()
