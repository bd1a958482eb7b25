"""Models of the cancelations app."""
