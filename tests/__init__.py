"""Tests of newsmon and the offline replica it crawls."""
