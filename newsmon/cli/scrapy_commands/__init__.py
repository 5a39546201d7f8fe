"""newsmon's `scrapy` commands (COMMANDS_MODULE): `scrapy crawl` with exit codes."""
