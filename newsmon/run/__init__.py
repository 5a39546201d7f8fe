"""The run itself: lock, outcome and exit codes, settings check, log formatting and redaction."""
