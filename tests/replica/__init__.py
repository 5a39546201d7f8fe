"""Offline replica of kyivindependent.com that tests and demos crawl on 127.0.0.1."""
