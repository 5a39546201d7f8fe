"""RSS/Atom writers: structure, order, update policies, sanitising, atomicity, a real reader."""

from __future__ import annotations

import dataclasses
import html
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from newsmon.items import ArticleItem
from newsmon.publish import atomic
from newsmon.publish import render as render_module
from newsmon.publish.feeds import (
    FeedEntry,
    FeedSpec,
    feed_paths,
    feed_url,
    write_feeds,
)
from newsmon.publish.render import Prepared, PreparedEntries
from tests.feedcheck import NS, check_atom, check_rss
from tests.newsboat import Newsboat, needs_newsboat, serving

BASE = "http://localhost:8080/"
SITE = "https://kyivindependent.com"
NOW = datetime(2025, 3, 18, 18, 0, tzinfo=UTC)
T0 = datetime(2025, 3, 18, 15, 17, tzinfo=UTC)

RUSSIA = FeedSpec(
    slug="russia",
    title="The Kyiv Independent — Russia",
    site_link=f"{SITE}/tag/russia/",
    description="Articles of The Kyiv Independent tagged Russia.",
)
NEWS_FEED = FeedSpec(
    slug="news-feed",
    title="The Kyiv Independent — News Feed",
    site_link=f"{SITE}/tag/news-feed/",
    description="The News Feed of The Kyiv Independent.",
)


def make_item(n: int, **changes: object) -> ArticleItem:
    """Article number n, published n hours before T0 (so a lower n is newer)."""
    published = T0 - timedelta(hours=n)
    item = ArticleItem(
        url=f"{SITE}/article-{n}/",
        title=f"Headline number {n}",
        authors=["Kateryna Hodunova", "The Kyiv Independent news desk"],
        published=published,
        modified=published,
        tags=["Russia", "War"],
        tag_slugs=["russia", "war"],
        primary_tag="Russia",
        summary=f"Summary of article {n}.",
        body=f"First paragraph of article {n}.\n\nSecond paragraph.",
        body_html=f'<p>First paragraph of article {n}.</p><p>See <a href="/other/">this</a>.</p>',
        image_url=f"{SITE}/content/images/2025/03/photo-{n}.jpg",
        image_caption=f"Rescuers at work. (Photo: Photographer {n})",
        word_count=8,
        listings=["russia"],
        crawled_at=T0 + timedelta(minutes=5),
    )
    return dataclasses.replace(item, **changes)  # type: ignore[arg-type]


def make_entry(n: int, *, version: int = 1, **changes: object) -> FeedEntry:
    """Feed entry of article n (version 1 unless told otherwise)."""
    item = make_item(n, **changes)
    return FeedEntry(
        item=item, version=version, first_seen=T0 - timedelta(hours=n) + timedelta(minutes=2)
    )


def updated_entry(n: int, version: int = 2, announced_version: int = 1) -> FeedEntry:
    """Article n rewritten: new title and body, modified an hour after T0."""
    return FeedEntry(
        item=make_item(
            n,
            title=f"Update: headline number {n} rewritten",
            body_html=f"<p>Rewritten body of article {n}, version {version}.</p>",
            modified=T0 + timedelta(hours=1),
        ),
        version=version,
        first_seen=T0 - timedelta(hours=n),
        announced_version=announced_version,
        announced_at=T0 + timedelta(hours=1, minutes=3) if announced_version > 1 else None,
    )


def write(tmp_path: Path, entries: list[FeedEntry], spec: FeedSpec = RUSSIA, **kwargs: object):
    """Write the feeds into tmp_path/output and return (rss path, atom path)."""
    kwargs.setdefault("feed_base_url", BASE)
    kwargs.setdefault("now", NOW)
    rss, atom, _ = write_feeds(tmp_path / "output", spec, entries, **kwargs)  # type: ignore[arg-type]
    return rss, atom


def rss_items(path: Path) -> list[etree._Element]:
    """The <item> elements of an RSS file, in document order."""
    return etree.parse(str(path)).getroot().findall("channel/item")


def check_pair(rss: Path, atom: Path, spec: FeedSpec = RUSSIA):
    """Validate both files of a feed and return the two feedparser results."""
    output = rss.parent if spec.slug == "news-feed" else rss.parent.parent
    return (
        check_rss(rss, self_url=feed_url(BASE, output, rss), site_link=spec.site_link),
        check_atom(atom, self_url=feed_url(BASE, output, atom), site_link=spec.site_link),
    )


# --- paths and slugs ----------------------------------------------------------------------


def test_feed_paths_for_news_feed_and_tags(tmp_path: Path) -> None:
    assert feed_paths(tmp_path, "news-feed") == (
        tmp_path / "newsfeed.xml",
        tmp_path / "newsfeed.atom",
        tmp_path / "newsfeed.json",
    )
    assert feed_paths(tmp_path, "russia") == (
        tmp_path / "tags" / "russia.xml",
        tmp_path / "tags" / "russia.atom",
        tmp_path / "tags" / "russia.json",
    )
    assert feed_paths(tmp_path, "martin", "author") == (
        tmp_path / "authors" / "martin.xml",
        tmp_path / "authors" / "martin.atom",
        tmp_path / "authors" / "martin.json",
    )
    assert feed_paths(tmp_path, "news-archive", "archive")[0] == tmp_path / "news-archive.xml"
    assert feed_paths(tmp_path, "kharkiv", "filter")[2] == tmp_path / "filters" / "kharkiv.json"


@pytest.mark.parametrize(
    "slug",
    [
        "../../x",
        "..",
        "../russia",
        "a/b",
        "Russia",
        "",
        "-russia",
        "x" * 101,
        "russia\n",
        "ru ssia",
        "russia.xml",
        "/etc/passwd",
        "russia/",
        "rüssia",
        "russia%2f..",
    ],
)
def test_bad_slug_is_rejected(tmp_path: Path, slug: str) -> None:
    with pytest.raises(ValueError):
        feed_paths(tmp_path, slug)
    with pytest.raises(ValueError):
        FeedSpec(slug=slug, title="t", site_link=f"{SITE}/tag/x/", description="d")


def test_bad_slug_never_writes_outside_tags(tmp_path: Path) -> None:
    spec = FeedSpec(slug="russia", title="t", site_link=f"{SITE}/tag/russia/", description="d")
    object.__setattr__(spec, "slug", "../../escape")  # bypass the frozen dataclass check
    with pytest.raises(ValueError):
        write(tmp_path, [make_entry(0)], spec=spec)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://localhost:8080/", "http://localhost:8080/tags/russia.xml"),
        ("http://localhost:8080", "http://localhost:8080/tags/russia.xml"),
        ("https://example.org/newsmon", "https://example.org/newsmon/tags/russia.xml"),
        ("https://example.org/newsmon/", "https://example.org/newsmon/tags/russia.xml"),
    ],
)
def test_self_link_is_base_plus_relative_path(tmp_path: Path, base: str, expected: str) -> None:
    rss, _ = write(tmp_path, [make_entry(0)], feed_base_url=base)
    check_rss(rss, self_url=expected, site_link=RUSSIA.site_link)


# --- structure --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [RUSSIA, NEWS_FEED], ids=["tag", "news-feed"])
def test_channel_has_required_elements_and_site_link(tmp_path: Path, spec: FeedSpec) -> None:
    rss, atom = write(tmp_path, [make_entry(0), make_entry(1)], spec=spec)
    parsed, _ = check_pair(rss, atom, spec)
    channel = etree.parse(str(rss)).getroot().find("channel")
    assert channel.findtext("title") == spec.title
    # feedgen takes the channel <link> from its last link() call: it must be the site.
    assert channel.findtext("link") == spec.site_link
    assert channel.findtext("description") == spec.description
    assert channel.findtext("language") == "en"
    assert channel.findtext("generator") == "newsmon"
    assert channel.findtext("lastBuildDate") == "Tue, 18 Mar 2025 18:00:00 GMT"
    assert parsed.feed.link == spec.site_link


def test_entries_keep_the_given_newest_first_order(tmp_path: Path) -> None:
    entries = [make_entry(n) for n in range(5)]  # article-0 is the newest
    rss, atom = write(tmp_path, entries)
    parsed_rss, parsed_atom = check_pair(rss, atom)
    expected = [e.item.url for e in entries]
    assert [i.findtext("guid") for i in rss_items(rss)] == expected
    assert [e.link for e in parsed_rss.entries] == expected
    assert [e.id for e in parsed_atom.entries] == expected
    dates = [e.published_parsed for e in parsed_rss.entries]
    assert dates == sorted(dates, reverse=True)


def test_item_fields(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(3)])
    parsed, _ = check_pair(rss, atom)
    (item,) = rss_items(rss)
    assert item.findtext("title") == "Headline number 3"
    assert item.findtext("link") == f"{SITE}/article-3/"
    guid = item.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == (f"{SITE}/article-3/", "true")
    assert item.findtext("pubDate") == "Tue, 18 Mar 2025 12:17:00 GMT"
    assert item.findtext("description") == "Summary of article 3."
    entry = parsed.entries[0]
    assert entry.title == "Headline number 3"
    assert entry.summary == "Summary of article 3."


@pytest.mark.parametrize(
    ("authors", "byline"),
    [
        (["Kateryna Hodunova"], "Kateryna Hodunova"),
        (["Kateryna Hodunova", "Martin Fornusek"], "Kateryna Hodunova and Martin Fornusek"),
        (
            ["Kateryna Hodunova", "Martin Fornusek", "The Kyiv Independent news desk"],
            "Kateryna Hodunova, Martin Fornusek and The Kyiv Independent news desk",
        ),
    ],
)
def test_co_authors_are_one_byline_in_rss_and_one_author_each_in_atom(
    tmp_path: Path, authors: list[str], byline: str
) -> None:
    rss, atom = write(tmp_path, [make_entry(0, authors=authors)])
    parsed_rss, parsed_atom = check_pair(rss, atom)
    (item,) = rss_items(rss)
    # One dc:creator: readers show the last of several only, which lost every co-author.
    assert [c.text for c in item.findall("dc:creator", NS)] == [byline]
    assert item.find("author") is None  # RSS <author> must be an e-mail address
    assert [a["name"] for a in parsed_atom.entries[0].authors] == authors
    assert parsed_rss.entries[0].author == byline


def test_entry_without_authors_is_still_valid_atom(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(0, authors=[])])
    check_pair(rss, atom)
    assert rss_items(rss)[0].findall("dc:creator", NS) == []


def test_one_category_per_tag(tmp_path: Path) -> None:
    tags, slugs = ["Russia", "War", "United States"], ["russia", "war", "united-states"]
    rss, atom = write(tmp_path, [make_entry(0, tags=tags, tag_slugs=slugs)])
    _, parsed_atom = check_pair(rss, atom)
    categories = rss_items(rss)[0].findall("category")
    assert [c.text for c in categories] == tags
    assert {c.get("domain") for c in categories} == {f"{SITE}/tag/"}
    atom_tags = parsed_atom.entries[0].tags
    assert [(t.term, t.label) for t in atom_tags] == list(zip(slugs, tags, strict=True))


def test_hero_image_as_media_content_with_caption(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(0)])
    parsed_rss, parsed_atom = check_pair(rss, atom)
    (item,) = rss_items(rss)
    (media,) = item.findall("media:content", NS)
    assert media.get("url") == f"{SITE}/content/images/2025/03/photo-0.jpg"
    assert media.get("medium") == "image"
    assert media.get("type") == "image/jpeg"
    assert media.findtext("media:description", namespaces=NS) == (
        "Rescuers at work. (Photo: Photographer 0)"
    )
    assert item.find("enclosure") is None  # decision: media:content, no enclosure
    for parsed in (parsed_rss, parsed_atom):
        assert parsed.entries[0].media_content[0]["url"] == media.get("url")
    # Readers that ignore Media RSS still see the image, first thing in the content.
    content = item.findtext("content:encoded", namespaces=NS)
    assert content.startswith(f'<figure><img src="{media.get("url")}"')
    assert "<figcaption>Rescuers at work. (Photo: Photographer 0)</figcaption>" in content


def test_article_without_image_has_no_media(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(0, image_url="", image_caption="")])
    check_pair(rss, atom)
    (item,) = rss_items(rss)
    assert item.findall("media:content", NS) == []
    assert "<figure>" not in item.findtext("content:encoded", namespaces=NS)


HOSTILE_BODY = (
    '<p onclick="steal()">Kept <a href="javascript:alert(1)">bad link</a> and '
    '<a href="/war/">relative link</a>.</p>'
    "<script>alert('x')</script><style>p{display:none}</style>"
    '<iframe src="https://evil.example/"></iframe>'
    '<form action="/subscribe"><input name="email">Enter your email</form>'
    '<img src="x.png" onerror="alert(1)"><img src="data:image/png;base64,AAAA" alt="data">'
    '<object data="x.swf"><embed src="x.swf"></object>'
)


def test_content_encoded_is_sanitised(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(0, body_html=HOSTILE_BODY, image_url="")])
    _, parsed_atom = check_pair(rss, atom)  # check_* also reject unsafe content
    content = rss_items(rss)[0].findtext("content:encoded", namespaces=NS)
    for banned in (
        "script",
        "style",
        "iframe",
        "form",
        "input",
        "onclick",
        "onerror",
        "javascript:",
        "data:",
        "object",
        "embed",
        "Enter your email",
    ):
        assert banned not in content, banned
    assert f'<a href="{SITE}/war/" rel="noopener noreferrer">relative link</a>' in content
    assert f'<img src="{SITE}/article-0/x.png">' in content
    assert "Kept" in content
    assert parsed_atom.entries[0].content[0].type == "text/html"


def test_summary_markup_stays_text(tmp_path: Path) -> None:
    summary = "Russia says <script>alert(1)</script> & more"
    rss, atom = write(tmp_path, [make_entry(0, summary=summary)])
    parsed, _ = check_pair(rss, atom)
    assert "<script>" not in parsed.entries[0].summary
    assert "&lt;script&gt;" in rss_items(rss)[0].findtext("description")


def test_missing_summary_and_date_fall_back(tmp_path: Path) -> None:
    body = " ".join(f"word{i}" for i in range(200))
    entry = make_entry(0, summary="", body=body, published=None, modified=None)
    rss, atom = write(tmp_path, [entry])
    parsed, _ = check_pair(rss, atom)
    description = parsed.entries[0].summary
    assert description.startswith("word0 word1") and description.endswith(" …")
    assert len(description) <= 310
    # No publication date: the time newsmon first saw the article stands in for it.
    assert rss_items(rss)[0].findtext("pubDate") == "Tue, 18 Mar 2025 15:19:00 GMT"


def test_control_characters_do_not_break_the_feed(tmp_path: Path) -> None:
    entry = make_entry(
        0, title="Zelensky\x0b speaks\x00", summary="a\x01b", body_html="<p>x\x1fy</p>"
    )
    rss, atom = write(tmp_path, [entry])
    parsed, _ = check_pair(rss, atom)
    assert parsed.entries[0].title == "Zelensky speaks"


def test_unicode_titles_survive(tmp_path: Path) -> None:
    title = "Зеленський: «мир» — not at any price"
    rss, atom = write(tmp_path, [make_entry(0, title=title)])
    parsed_rss, parsed_atom = check_pair(rss, atom)
    assert parsed_rss.entries[0].title == parsed_atom.entries[0].title == title
    assert title.encode() in rss.read_bytes()


def test_repeated_article_appears_once(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(0), make_entry(1), make_entry(0)])
    check_pair(rss, atom)
    assert [i.findtext("link") for i in rss_items(rss)] == [
        f"{SITE}/article-0/",
        f"{SITE}/article-1/",
    ]


def test_article_with_unusable_url_is_skipped(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(0), make_entry(1, url="/relative/")])
    check_pair(rss, atom)
    assert len(rss_items(rss)) == 1


# --- dates ----------------------------------------------------------------------------------


def test_dates_are_converted_to_gmt(tmp_path: Path) -> None:
    kyiv = timezone(timedelta(hours=2))
    published = datetime(2025, 3, 18, 17, 17, tzinfo=kyiv)
    rss, atom = write(
        tmp_path,
        [make_entry(0, published=published, modified=published)],
        now=datetime(2025, 3, 18, 20, 0, tzinfo=kyiv),
    )
    _, parsed_atom = check_pair(rss, atom)
    assert rss_items(rss)[0].findtext("pubDate") == "Tue, 18 Mar 2025 15:17:00 GMT"
    assert parsed_atom.entries[0].published == "2025-03-18T15:17:00+00:00"


def test_only_the_date_elements_are_rewritten(tmp_path: Path) -> None:
    """Text that looks like a date element, in a title, a summary and a body, stays as it was;
    the real dates are in GMT."""
    fake = "<pubDate>Tue, 18 Mar 2025 15:17:00 +0000</pubDate>"
    entry = make_entry(
        0,
        title=f"Title {fake}",
        summary=f"Summary {fake}",
        body_html=f"<p>Body {html.escape(fake)}</p>{fake}",
    )
    rss, atom = write(tmp_path, [entry])
    check_pair(rss, atom)
    item = rss_items(rss)[0]
    assert item.findtext("title") == f"Title {fake}"
    assert item.findtext("description") == html.escape(f"Summary {fake}", quote=False)
    assert f"Body {html.escape(fake)}" in item.findtext(f"{{{NS['content']}}}encoded")
    assert item.findtext("pubDate").endswith(" GMT")


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone"):
        write(tmp_path, [make_entry(0)], now=datetime(2025, 3, 18, 18, 0))
    with pytest.raises(ValueError, match="timezone"):
        write(tmp_path, [make_entry(0, published=datetime(2025, 3, 18, 15, 17))])
    with pytest.raises(ValueError, match="timezone"):
        FeedEntry(item=make_item(0), version=1, first_seen=datetime(2025, 3, 18))


# --- updates -------------------------------------------------------------------------------


def test_updated_article_keeps_guid_and_shows_latest_version(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(0), make_entry(1)])
    before = {i.findtext("link"): i for i in rss_items(rss)}
    write(tmp_path, [make_entry(0), updated_entry(1, version=2)])
    parsed_rss, parsed_atom = check_pair(rss, atom)
    items = rss_items(rss)
    assert len(items) == 2
    item = items[1]
    old = before[f"{SITE}/article-1/"]
    assert item.findtext("guid") == old.findtext("guid") == f"{SITE}/article-1/"
    assert item.find("guid").get("isPermaLink") == "true"
    assert item.findtext("pubDate") == old.findtext("pubDate")  # first publication, not the edit
    assert item.findtext("title") == "Update: headline number 1 rewritten"
    assert "Rewritten body of article 1, version 2." in item.findtext(
        "content:encoded", namespaces=NS
    )
    atom_entry = parsed_atom.entries[1]
    assert atom_entry.id == f"{SITE}/article-1/"
    assert atom_entry.updated == "2025-03-18T16:17:00+00:00"
    assert atom_entry.published == "2025-03-18T14:17:00+00:00"
    assert parsed_rss.entries[1].title == atom_entry.title


def test_reannounce_gives_a_rewrite_a_new_guid(tmp_path: Path) -> None:
    entries = [
        make_entry(0),
        updated_entry(1, version=3, announced_version=2),  # rewritten at v2, small edit v3
        updated_entry(2, version=2, announced_version=1),  # a small edit: not re-announced
    ]
    rss, atom = write(tmp_path, entries, update_policy="reannounce")
    _, parsed_atom = check_pair(rss, atom)
    items = rss_items(rss)
    guids = [(i.findtext("guid"), i.find("guid").get("isPermaLink")) for i in items]
    assert guids == [
        (f"{SITE}/article-0/", "true"),
        (f"{SITE}/article-1/#v2", "false"),
        (f"{SITE}/article-2/", "true"),
    ]
    # A re-announced item is dated when it was announced, so readers list it as new.
    assert items[1].findtext("pubDate") == "Tue, 18 Mar 2025 16:20:00 GMT"
    assert items[1].findtext("link") == f"{SITE}/article-1/"
    assert items[2].findtext("pubDate") == "Tue, 18 Mar 2025 13:17:00 GMT"
    assert [e.id for e in parsed_atom.entries][1] == f"{SITE}/article-1/#v2"


def test_update_policy_ignores_announcements(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [updated_entry(1, version=3, announced_version=2)])
    check_pair(rss, atom)
    assert rss_items(rss)[0].findtext("guid") == f"{SITE}/article-1/"


def test_invalid_policy_and_announcement_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="update_policy"):
        write(tmp_path, [make_entry(0)], update_policy="sometimes")
    with pytest.raises(ValueError, match="announced_version"):
        FeedEntry(item=make_item(0), version=2, first_seen=T0, announced_version=3)
    assert not (tmp_path / "output").exists()


# --- empty feeds and the Atom twin ------------------------------------------------------------


@pytest.mark.parametrize("spec", [RUSSIA, NEWS_FEED], ids=["tag", "news-feed"])
def test_empty_feed_is_valid_and_complete(tmp_path: Path, spec: FeedSpec) -> None:
    rss, atom = write(tmp_path, [], spec=spec)
    parsed_rss, parsed_atom = check_pair(rss, atom, spec)
    assert parsed_rss.entries == [] and parsed_atom.entries == []
    assert parsed_rss.feed.title == parsed_atom.feed.title == spec.title


def test_atom_twin(tmp_path: Path) -> None:
    rss, atom = write(tmp_path, [make_entry(0), make_entry(1)])
    _, parsed = check_pair(rss, atom)
    assert parsed.feed.id == RUSSIA.site_link
    rels = {link.rel: link.href for link in parsed.feed.links}
    assert rels == {"self": f"{BASE}tags/russia.atom", "alternate": RUSSIA.site_link}
    entry = parsed.entries[0]
    assert entry.id == entry.link == f"{SITE}/article-0/"
    assert entry.summary == "Summary of article 0."
    assert "First paragraph of article 0." in entry.content[0].value
    assert [a["name"] for a in entry.authors] == [
        "Kateryna Hodunova",
        "The Kyiv Independent news desk",
    ]
    assert [t.term for t in entry.tags] == ["russia", "war"]


# --- atomic replacement ------------------------------------------------------------------------


def leftovers(directory: Path) -> list[str]:
    """Names in a directory other than the finished feed files."""
    return sorted(
        p.name for p in directory.iterdir() if not p.name.endswith((".xml", ".atom", ".json"))
    )


def test_failed_rename_keeps_old_feed_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rss, atom = write(tmp_path, [make_entry(0)])
    old_rss, old_atom = rss.read_bytes(), atom.read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="simulated"):
        write(tmp_path, [make_entry(1), make_entry(0)])
    assert rss.read_bytes() == old_rss and atom.read_bytes() == old_atom
    assert leftovers(rss.parent) == []
    check_pair(rss, atom)


def test_failed_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        write(tmp_path, [make_entry(0)])
    assert leftovers(tmp_path / "output" / "tags") == []
    assert list((tmp_path / "output" / "tags").iterdir()) == []


def test_replace_is_a_rename_in_the_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        calls.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    rss, atom = write(tmp_path, [make_entry(0)])
    assert [Path(dst) for _, dst in calls] == [rss, atom, rss.with_suffix(".json")]
    assert all(Path(src).parent == Path(dst).parent for src, dst in calls)
    assert all(Path(src).name.startswith(".") for src, _ in calls)


def test_atomic_write_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "feed.xml"
    atomic.atomic_write_bytes(target, b"one")
    assert target.stat().st_mode & 0o777 == 0o644  # readable by a web server
    target.chmod(0o640)
    atomic.atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o640


# --- a real feed reader: newsboat -------------------------------------------------------------


@pytest.fixture
def served_output(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """tmp_path/output served over HTTP on 127.0.0.1; yields (directory, base URL)."""
    output = tmp_path / "output"
    output.mkdir()
    with serving(output) as base:
        yield output, base


@needs_newsboat
@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_newsboat_shows_each_article_once_across_updates(
    tmp_path: Path, served_output: tuple[Path, str], fmt: str
) -> None:
    output, base = served_output
    write_feeds(output, RUSSIA, [make_entry(n) for n in (2, 3, 4)], feed_base_url=base, now=NOW)
    path = feed_paths(output, "russia")[0 if fmt == "rss" else 1]
    reader = Newsboat(tmp_path / "home", feed_url(base, output, path))

    assert reader.reload() == 3
    first = reader.items()
    assert sorted(g for g, _ in first) == [f"{SITE}/article-{n}/" for n in (2, 3, 4)]

    # Next run: two new articles, article 3 updated, the others unchanged.
    entries = [make_entry(0), make_entry(1), make_entry(2), updated_entry(3), make_entry(4)]
    write_feeds(output, RUSSIA, entries, feed_base_url=base, now=NOW + timedelta(hours=1))
    assert reader.reload() == 5
    after = dict(reader.items())
    assert len(reader.items()) == 5  # the updated article is still one article
    assert sorted(after) == [f"{SITE}/article-{n}/" for n in range(5)]
    assert after[f"{SITE}/article-3/"] == "Update: headline number 3 rewritten"


@needs_newsboat
def test_newsboat_shows_a_reannounced_rewrite_again(
    tmp_path: Path, served_output: tuple[Path, str]
) -> None:
    output, base = served_output
    kwargs = {"feed_base_url": base, "update_policy": "reannounce"}
    write_feeds(output, RUSSIA, [make_entry(1), make_entry(2)], now=NOW, **kwargs)
    rss, _, _ = feed_paths(output, "russia")
    reader = Newsboat(tmp_path / "home", feed_url(base, output, rss))
    assert reader.reload() == 2

    entries = [updated_entry(1, version=2, announced_version=2), make_entry(2)]
    write_feeds(output, RUSSIA, entries, now=NOW + timedelta(hours=1), **kwargs)
    assert reader.reload() == 3
    guids = [g for g, _ in reader.items()]
    assert guids == sorted([f"{SITE}/article-1/", f"{SITE}/article-1/#v2", f"{SITE}/article-2/"])

    # A small edit after the rewrite keeps the #v2 guid: nothing new for the reader.
    entries = [updated_entry(1, version=3, announced_version=2), make_entry(2)]
    write_feeds(output, RUSSIA, entries, now=NOW + timedelta(hours=2), **kwargs)
    assert reader.reload() == 3


def _rewrite_of_article_1(later: str) -> FeedEntry:
    """What the next feed shows where the first showed version 2 of article 1."""
    first = updated_entry(1, version=2, announced_version=1)
    entry = {
        "a newer version": updated_entry(1, version=3, announced_version=1),
        "the same version announced again": updated_entry(1, version=2, announced_version=2),
        "another article of the same version": make_entry(3, version=2),
    }[later]
    # As the store gives them: the same first sighting, so only what differs tells them apart.
    return dataclasses.replace(entry, first_seen=first.first_seen)


@pytest.mark.parametrize(
    ("policy", "later", "known_policy"),
    [
        ("update", "a newer version", "update"),
        ("reannounce", "the same version announced again", "reannounce"),
        ("update", "another article of the same version", "update"),
        ("reannounce", "the same version announced again", "update"),
    ],
    ids=["newer version", "announced again", "another article", "another policy"],
)
def test_a_pass_prepares_an_article_once_and_each_version_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, later: str, known_policy: str
) -> None:
    """Feeds sharing a pass's prepared entries are the files each feed writes on its own.

    The pass prepares an article once for all the feeds that show it; a newer version of it,
    the same version announced again, another article, or another update policy is prepared
    anew, never served from the first.
    """
    first = updated_entry(1, version=2, announced_version=1)
    shared = make_entry(2)
    feeds = (
        (NEWS_FEED, [first, shared]),
        (RUSSIA, [_rewrite_of_article_1(later), shared]),
    )
    alone, together = tmp_path / "alone", tmp_path / "together"
    for spec, entries in feeds:
        write(alone, entries, spec, update_policy=policy)
    prepared: list[str] = []
    prepare = render_module._prepare

    def counted(entry: FeedEntry, update_policy: str) -> Prepared:
        prepared.append(entry.item.url)
        return prepare(entry, update_policy)

    monkeypatch.setattr(render_module, "_prepare", counted)
    known = PreparedEntries(known_policy)
    for spec, entries in feeds:
        write(together, entries, spec, update_policy=policy, known=known)
    files = sorted((alone / "output").rglob("*.*"))
    assert len(files) == 6
    for path in files:
        twin = together / path.relative_to(alone)
        assert twin.read_bytes() == path.read_bytes(), path.name
    # The article both feeds show was prepared once, unless the policies differ.
    assert prepared.count(shared.item.url) == (1 if known_policy == policy else 2)
