"""Publishing: RSS/Atom feeds per listing and the JSON-lines archive, written safely; the server.

The writers (`feeds`, `render`, `jsonlines`, `atomic`) are pure: they take data the store
already selected and know nothing of Scrapy or of the store. `run` selects from the store and
calls them; `extension` runs that at the end of a crawl; `server` serves the output folder.
Every feed file is replaced atomically; the archive only grows by whole lines.
"""
