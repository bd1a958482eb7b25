"""Operations: health and metrics endpoints, and the JSON log formatter."""
