"""Small pure helpers that normalise text, dates, URLs and names."""
