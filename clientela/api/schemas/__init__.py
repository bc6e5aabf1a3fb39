"""Input and output schemas of the API (inputs shape and coerce only; services validate)."""
