"""Health: audit each page, check each run against its baselines, announce and report."""
