"""Small pure helpers that normalise text, dates, URLs, names and HTML."""
