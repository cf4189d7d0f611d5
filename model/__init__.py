"""poolcheck's reference model of Go's sync.Pool: WHAT IS CHECKED."""
