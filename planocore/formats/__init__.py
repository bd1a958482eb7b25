"""Date and time formats for English (FORMAT_MODULE_PATH): one format, to the second."""
