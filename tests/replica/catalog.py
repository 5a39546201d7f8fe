"""Static site catalog of the replica: tags and authors (synthetic bios, invented staff)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tag:
    """A Ghost tag: `/tag/<slug>/`, shown as `name`; `heading` labels its listing page."""

    slug: str
    name: str
    heading: str = ""
    description: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Text of the listing's `h1.archive__title`."""
        return self.heading or self.name


@dataclass(frozen=True)
class Author:
    """A Ghost author (staff, guest or desk): `/author/<slug>/`; the slug is not always the name."""

    slug: str
    name: str
    role: str
    bio: str


def _tag(slug: str, name: str, heading: str = "", *description: str) -> Tag:
    return Tag(slug, name, heading, tuple(description))


TAGS: dict[str, Tag] = {
    t.slug: t
    for t in (
        _tag("news-feed", "News Feed", "NEWS FEED"),
        _tag(
            "collaborators",
            "Russia-Ukraine War",
            "Russia-Ukraine War",
            "Russia-Ukraine war",
            "This page gathers the replica's coverage of the full-scale war: front-line reports, "
            "strikes on cities, occupation and the people who resist it.",
            "Stories are listed newest first; older coverage continues on the following pages.",
        ),
        _tag("united-states", "United States"),
        _tag("russia", "Russia"),
        _tag("donald-trump", "Donald Trump"),
        _tag("vladimir-putin", "Vladimir Putin"),
        _tag("trump-russia", "Trump & Russia"),
        _tag(
            "ukraine",
            "Ukraine",
            "",
            "Ukraine",
            "Politics, economy and daily life in Ukraine, reported from Kyiv and the regions.",
        ),
        _tag(
            "war",
            "War",
            "",
            "War",
            "Daily reporting on the fighting, the front line and the strikes behind it.",
        ),
        _tag("opinion", "Opinion"),
        _tag("world", "World"),
        _tag("politics", "Politics"),
        _tag("military", "Military"),
        _tag("business", "Business"),
        _tag(
            "explainer",
            "Explainer",
            "",
            "Explainers",
            "Longer pieces that unpack one question at a time.",
        ),
        _tag("eastern-europe", "Eastern Europe"),
        _tag("belarus", "Belarus"),
        _tag("crimea", "Crimea"),
        _tag("kharkiv-oblast", "Kharkiv Oblast"),
        _tag("war-analysis", "War Analysis"),
        _tag("russias-war", "Russia's War"),
        _tag("national", "National"),
        _tag("human-story", "Human Story"),
        _tag("field-report", "Field Report"),
        _tag("investigations", "Investigations"),
        _tag("interview", "Interview"),
        _tag("culture", "Culture"),
    )
}

NEWS_FEED = TAGS["news-feed"]

# Invented staff: the bios are written for the replica, the names belong to nobody in particular.
STAFF: tuple[Author, ...] = (
    Author(
        "martin",
        "Martin Dvorak",
        "Reporter",
        "Martin Dvorak covers European politics and disinformation for the replica desk. He "
        "studied history in Brno and has reported from Lviv since the full-scale invasion.",
    ),
    Author(
        "olena-marchuk",
        "Olena Marchuk",
        "Reporter",
        "Olena Marchuk writes about energy, infrastructure and the cities that keep the lights "
        "on under attack.",
    ),
    Author(
        "taras-bondar",
        "Taras Bondar",
        "War correspondent",
        "Taras Bondar reports from the front-line regions of the east and the south.",
    ),
    Author(
        "iryna-savchuk",
        "Iryna Savchuk",
        "News editor",
        "Iryna Savchuk edits the news feed and writes about domestic politics.",
    ),
    Author(
        "dmytro-hnatiuk",
        "Dmytro Hnatiuk",
        "Reporter",
        "Dmytro Hnatiuk follows diplomacy, sanctions and Ukraine's foreign partners.",
    ),
    Author(
        "sofia",
        "Sofia Kravets",
        "Reporter",
        "Sofia Kravets covers occupied territories, deportations and war crimes cases.",
    ),
    Author(
        "andrew-hale",
        "Andrew Hale",
        "Senior reporter",
        "Andrew Hale writes long reads on defense industry and military aid.",
    ),
    Author(
        "yana-levko",
        "Yana Levko",
        "Business reporter",
        "Yana Levko covers Ukraine's economy, trade and reconstruction finance.",
    ),
    Author(
        "nadia",
        "Nadiia Vovk",
        "Investigative reporter",
        "Nadiia Vovk works with the investigations unit on procurement and corruption cases.",
    ),
)

GUESTS: tuple[Author, ...] = (
    Author("lena-berg", "Lena Berg", "Contributor", "Lena Berg is a security analyst in Oslo."),
    Author(
        "tomas-novy",
        "Tomas Novy",
        "Contributor",
        "Tomas Novy is a former diplomat who writes on Central Europe.",
    ),
    Author(
        "maria-ostrowska",
        "Maria Ostrowska",
        "Contributor",
        "Maria Ostrowska teaches international law in Krakow.",
    ),
    Author(
        "john-whitfield",
        "John Whitfield",
        "Contributor",
        "John Whitfield is a retired army officer and commentator.",
    ),
    Author(
        "hanna-dovzhenko",
        "Hanna Dovzhenko",
        "Contributor",
        "Hanna Dovzhenko runs a civic education NGO in Vinnytsia.",
    ),
)

NEWS_DESK = Author(
    "news-desk",
    "The Kyiv Independent news desk",
    "",
    "The news desk of the replica: short updates written and edited by the whole team.",
)
ORGANIZATION = Author(
    "thekyivindependent",
    "The Kyiv Independent",
    "",
    "The Kyiv Independent is an English-language media outlet reporting from Ukraine; in this "
    "replica its name signs editorials.",
)
# The two real reporters of the seed article; they sign only the seed article and its embed.
SEED_AUTHOR = Author(
    "kateryna-hodunova",
    "Kateryna Hodunova",
    "Reporter",
    "Kateryna Hodunova is a reporter at the Kyiv Independent.",
)
SEED_RELATED_AUTHOR = Author(
    "oleg-sukhov",
    "Oleg Sukhov",
    "Reporter",
    "Oleg Sukhov is a reporter at the Kyiv Independent.",
)

AUTHORS: dict[str, Author] = {
    a.slug: a for a in (*STAFF, *GUESTS, NEWS_DESK, ORGANIZATION, SEED_AUTHOR, SEED_RELATED_AUTHOR)
}
