"""Item pipelines, one job each: clean, validate, quarantine, store."""
