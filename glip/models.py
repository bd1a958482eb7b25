"""Models of the glip app."""
