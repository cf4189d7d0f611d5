"""WHAT MUST HOLD: the property catalog, state predicates and execution checks."""
