"""The seed article (real text, given with the mission) and the article its embed points at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tests.replica.blocks import Block, Bookmark, Heading, plain
from tests.replica.catalog import NEWS_DESK, SEED_AUTHOR, SEED_RELATED_AUTHOR, Author

ASSETS = "https://assets.kyivindependent.com/content/images"


@dataclass(frozen=True)
class FixedArticle:
    """An article whose every field is given, not generated."""

    slug: str
    title: str
    authors: tuple[Author, ...]
    tag_slugs: tuple[str, ...]
    published: datetime
    summary: str
    image_url: str
    image_caption: str
    blocks: tuple[Block, ...]


RELATED_SLUG = "who-is-to-gain-more-from-a-ceasefire-russia-or-ukraine"
RELATED_TITLE = "Who is to gain more from a ceasefire — Russia or Ukraine?"
RELATED_IMAGE = f"{ASSETS}/2025/03/ceasefire-analysis.jpg"
# The embed's description exactly as the seed page shows it (cut by Ghost at embed time).
RELATED_EMBED_DESCRIPTION = (
    "U.S. President Donald Trump said on March 17 that he expects to hold a phone call with "
    "his Russian counterpart Vladimir Putin to discuss a U.S.-backed ceasefire proposal that "
    "Moscow has yet to agree to. Russia has declined to immediately accept the 30-day "
    "ceasefire proposal, with the"
)

SEED_BODY = (
    "U.S. President Donald Trump has been speaking with Russian President Vladimir Putin since "
    "10:00 a.m. EDT, White House Deputy Chief of Staff Dan Scavino said on X.",
    "The call follows U.S.-led negotiations in Saudi Arabia, where Washington proposed a 30-day "
    "ceasefire between Russia and Ukraine. Kyiv accepted the deal during talks in Jeddah on "
    "March 11, prompting the U.S. to resume military and intelligence support for Ukraine.",
    '"Happening now — President Trump is currently in the Oval Office speaking with President '
    "Vladimir Putin of Russia since 10:00 a.m. EDT. The call is going well, and still in "
    'progress," he said on X.',
    "The call was still in progress as of 11:30 a.m. EDT, according to Scavino.",
    "On March 13, Putin said Russia was willing to accept the ceasefire but demanded guarantees "
    "that Ukraine would not mobilize troops, conduct training, or receive military assistance "
    "during the truce, making it potentially vulnerable to renewed Russian aggression.",
    'In a post on Truth Social, Trump said he was "very much" looking forward to the call with '
    'Putin, adding that "many elements of a Final Agreement have been agreed to, but much '
    'remains."',
    '"Thousands of young soldiers, and others, are being killed. Each week brings 2,500 soldier '
    'death and it must end NOW," Trump wrote on March 17.',
    "Trump earlier said discussions would include territorial matters and power plants.",
    "To discuss the proposal, U.S. Special Representative Steve Witkoff traveled to Moscow this "
    "week, where Putin reportedly signaled openness to the U.S. plan.",
)

SEED = FixedArticle(
    slug="trump-putin-call-going-well-white-house-official-says",
    title="Trump, Putin call 'going well,' White House official says",
    authors=(SEED_AUTHOR, NEWS_DESK),
    tag_slugs=(
        "news-feed",
        "united-states",
        "russia",
        "donald-trump",
        "vladimir-putin",
        "trump-russia",
    ),
    published=datetime(2025, 3, 18, 15, 17, tzinfo=UTC),
    summary=SEED_BODY[0],
    image_url=f"{ASSETS}/2025/03/GettyImages-873461382.jpg",
    image_caption=(
        "U.S. President Donald Trump (L) chats with Russian President Vladimir Putin (R) during "
        "the APEC Economic Leaders' Meeting in Danang, Vietnam, on Nov. 11, 2017. (Mikhail "
        "Klimentyev / Sputnik / AFP / Getty Images)"
    ),
    blocks=(
        *(plain(p) for p in SEED_BODY),
        Bookmark(
            slug=RELATED_SLUG,
            title=RELATED_TITLE,
            description=RELATED_EMBED_DESCRIPTION,
            publisher=SEED_RELATED_AUTHOR.name,
            thumbnail=RELATED_IMAGE,
        ),
    ),
)

# The embed's target, so its link is followable. Only its first sentences come from the seed's
# embed; the rest is the replica's own neutral text.
RELATED = FixedArticle(
    slug=RELATED_SLUG,
    title=RELATED_TITLE,
    authors=(SEED_RELATED_AUTHOR,),
    tag_slugs=("war-analysis", "russia", "ukraine", "united-states"),
    published=datetime(2025, 3, 17, 16, 40, tzinfo=UTC),
    summary=RELATED_EMBED_DESCRIPTION.removesuffix(", with the") + ".",
    image_url=RELATED_IMAGE,
    image_caption="Negotiators at a table during talks on a ceasefire. (Photo: Replica archive)",
    blocks=(
        plain(RELATED_EMBED_DESCRIPTION.removesuffix(", with the") + "."),
        plain(
            "This replica article stands in for the analysis the seed page links to. Its text "
            "is a placeholder written for the offline copy of the site."
        ),
        Heading("What each side wants"),
        plain(
            "A pause in the fighting would give both armies time to rest, rotate and resupply, "
            "and each side argues the other would benefit more."
        ),
        plain(
            "The terms of any truce, and how it would be monitored, remain the main open question."
        ),
    ),
)

FIXED_ARTICLES = (RELATED, SEED)
