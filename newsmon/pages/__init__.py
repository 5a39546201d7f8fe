"""Page objects: turn a response into data, knowing nothing of the crawl."""
