"""newsmon's Scrapy commands (COMMANDS_MODULE): `crawl` with meaningful exit codes."""
