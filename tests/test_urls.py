import pytest

from newsmon.extract.normalize.urls import (
    article_slug,
    canonical_url,
    is_http_url,
    is_on_site,
    strip_tracking,
)

SITE = "https://kyivindependent.com"
REPLICA = "http://127.0.0.1:8123"
ARTICLE = "https://kyivindependent.com/trump-putin-call-going-well/"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # already canonical
        (ARTICLE, ARTICLE),
        # scheme and host
        ("http://kyivindependent.com/trump-putin-call-going-well/", ARTICLE),
        ("https://www.kyivindependent.com/trump-putin-call-going-well/", ARTICLE),
        ("HTTPS://WWW.KyivIndependent.COM/trump-putin-call-going-well/", ARTICLE),
        ("https://kyivindependent.com:443/trump-putin-call-going-well/", ARTICLE),
        ("http://www.kyivindependent.com:80/trump-putin-call-going-well/", ARTICLE),
        # trailing slash: exactly one, doubled slashes collapsed
        ("https://kyivindependent.com/trump-putin-call-going-well", ARTICLE),
        ("https://kyivindependent.com//trump-putin-call-going-well//", ARTICLE),
        ("https://kyivindependent.com", "https://kyivindependent.com/"),
        # fragments
        ("https://kyivindependent.com/trump-putin-call-going-well/#comments", ARTICLE),
        # tracking parameters
        (
            "https://kyivindependent.com/trump-putin-call-going-well/"
            "?utm_source=twitter&utm_medium=social&utm_campaign=x",
            ARTICLE,
        ),
        ("https://kyivindependent.com/trump-putin-call-going-well/?fbclid=IwAR0abc", ARTICLE),
        ("https://kyivindependent.com/trump-putin-call-going-well/?gclid=1&mc_cid=2", ARTICLE),
        ("https://kyivindependent.com/trump-putin-call-going-well/?ref=newsletter", ARTICLE),
        ("https://kyivindependent.com/trump-putin-call-going-well/?UTM_Source=x&_ga=1", ARTICLE),
        ("https://kyivindependent.com/trump-putin-call-going-well/?igshid=a&s_cid=b", ARTICLE),
        # other parameters kept, sorted, tracking ones removed around them
        (
            "https://kyivindependent.com/search/?q=kyiv&utm_source=x&page=2",
            "https://kyivindependent.com/search/?page=2&q=kyiv",
        ),
        # legacy WordPress section permalinks
        ("https://kyivindependent.com/news-feed/trump-putin-call-going-well", ARTICLE),
        ("https://kyivindependent.com/uncategorized/trump-putin-call-going-well/", ARTICLE),
        ("https://kyivindependent.com/national/trump-putin-call-going-well", ARTICLE),
        ("https://kyivindependent.com/regional/trump-putin-call-going-well", ARTICLE),
        ("https://kyivindependent.com/hot-topic/trump-putin-call-going-well", ARTICLE),
        (
            "http://www.kyivindependent.com/news-feed/trump-putin-call-going-well?utm_source=fb#x",
            ARTICLE,
        ),
        # listings, tags and authors are not legacy permalinks
        ("https://kyivindependent.com/tag/news-feed", "https://kyivindependent.com/tag/news-feed/"),
        ("https://kyivindependent.com/tag/national/", "https://kyivindependent.com/tag/national/"),
        (
            "https://www.kyivindependent.com/tag/news-feed/page/2",
            "https://kyivindependent.com/tag/news-feed/page/2/",
        ),
        ("https://kyivindependent.com/author/martin", "https://kyivindependent.com/author/martin/"),
        ("https://kyivindependent.com/news-feed/", "https://kyivindependent.com/news-feed/"),
        # files keep their name without a slash
        ("https://kyivindependent.com/robots.txt", "https://kyivindependent.com/robots.txt"),
        # percent-escapes normalised
        ("https://kyivindependent.com/%7Eslug", "https://kyivindependent.com/~slug/"),
    ],
)
def test_canonical_url_real_site(url: str, expected: str) -> None:
    assert canonical_url(url, SITE) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8123/some-slug", "http://127.0.0.1:8123/some-slug/"),
        ("http://127.0.0.1:8123/some-slug/?utm_source=x#top", "http://127.0.0.1:8123/some-slug/"),
        ("http://127.0.0.1:8123/news-feed/some-slug", "http://127.0.0.1:8123/some-slug/"),
        ("http://127.0.0.1:8123/tag/news-feed/", "http://127.0.0.1:8123/tag/news-feed/"),
        # a link written with the real site's scheme still lands on the replica's origin
        ("https://127.0.0.1/some-slug/", "http://127.0.0.1:8123/some-slug/"),
    ],
)
def test_canonical_url_replica_keeps_http_and_port(url: str, expected: str) -> None:
    assert canonical_url(url, REPLICA) == expected


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("https://kyivindependent.com", ARTICLE),
        ("https://www.kyivindependent.com/", ARTICLE),
        ("HTTPS://KyivIndependent.com:443", ARTICLE),
    ],
)
def test_canonical_url_site_spelling_does_not_matter(site: str, expected: str) -> None:
    assert canonical_url("http://www.kyivindependent.com/trump-putin-call-going-well", site) == (
        expected
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.com/Path?b=2&a=1#x", "https://example.com/Path/?a=1&b=2"),
        ("https://example.com:8443/x?utm_term=y", "https://example.com:8443/x/"),
        # legacy prefixes are this site's history, not other sites'
        ("https://example.com/national/slug", "https://example.com/national/slug/"),
        ("https://assets.kyivindependent.com/content/images/2025/03/a.jpg", None),
    ],
)
def test_canonical_url_off_site(url: str, expected: str | None) -> None:
    assert canonical_url(url, SITE) == (expected or url)


@pytest.mark.parametrize("url", ["/relative/", "mailto:desk@kyivindependent.com", "", "ftp://x/"])
def test_canonical_url_rejects_non_absolute_http(url: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(url, SITE)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://kyivindependent.com/a/?utm_source=x&b=2&a=1#f",
            "https://kyivindependent.com/a/?b=2&a=1",
        ),
        (
            "https://www.kyivindependent.com/a?x=%20y&fbclid=z",
            "https://www.kyivindependent.com/a?x=%20y",
        ),
        ("https://kyivindependent.com/a/", "https://kyivindependent.com/a/"),
        ("/tag/news-feed/page/2/?ref=nav", "/tag/news-feed/page/2/"),
    ],
)
def test_strip_tracking_leaves_the_rest_untouched(url: str, expected: str) -> None:
    assert strip_tracking(url) == expected


@pytest.mark.parametrize(
    ("url", "site", "expected"),
    [
        (ARTICLE, SITE, True),
        ("http://www.kyivindependent.com/x/", SITE, True),
        ("https://KYIVINDEPENDENT.com/x/", "https://www.kyivindependent.com", True),
        ("https://assets.kyivindependent.com/content/images/a.jpg", SITE, False),
        ("https://kyivindependent.com.evil.example/x/", SITE, False),
        ("https://twitter.com/kyivindependent", SITE, False),
        ("mailto:desk@kyivindependent.com", SITE, False),
        ("/relative/", SITE, False),
        ("http://127.0.0.1:8123/x/", REPLICA, True),
        ("ftp://kyivindependent.com/x", SITE, False),
    ],
)
def test_is_on_site(url: str, site: str, expected: bool) -> None:
    assert is_on_site(url, site) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (ARTICLE, "trump-putin-call-going-well"),
        ("https://kyivindependent.com/news-feed/some-slug-2", "some-slug-2"),
        ("https://www.kyivindependent.com/some-slug?utm_source=x", "some-slug"),
        ("https://kyivindependent.com/tag/news-feed/", None),
        ("https://kyivindependent.com/author/martin/", None),
        ("https://kyivindependent.com/news-archive/", None),
        ("https://kyivindependent.com/", None),
        ("https://kyivindependent.com/robots.txt", None),
        ("https://example.com/some-slug/", None),
    ],
)
def test_article_slug(url: str, expected: str | None) -> None:
    assert article_slug(url, SITE) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (ARTICLE, True),
        (REPLICA, True),
        ("HTTP://Example.com", True),
        ("/relative/", False),
        ("kyivindependent.com/a/", False),
        ("mailto:desk@kyivindependent.com", False),
        ("javascript:alert(1)", False),
        ("https://", False),
        ("", False),
    ],
)
def test_is_http_url(url: str, expected: bool) -> None:
    assert is_http_url(url) is expected
