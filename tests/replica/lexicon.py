"""Word lists and sentence templates of the synthetic writer, all written for the replica.

Templates use `str.format` slots filled by `writer.Writer.slots`: {city}, {oblast}, {village},
{country}, {org}, {official}, {person}, {n}, {m}, {k}, {big}, {pct}, {date}, {weapon},
{target}, {month}, {weekday}, {venue}, {brigade}, {ordinal}, {policy}, {agency}, {region},
{age}, {channel}; an article's context may also carry {killed}, {injured} and {headline}.
"""

from __future__ import annotations

CITIES = (
    "Kyiv",
    "Kharkiv",
    "Odesa",
    "Dnipro",
    "Zaporizhzhia",
    "Lviv",
    "Sumy",
    "Kherson",
    "Mykolaiv",
    "Chernihiv",
    "Poltava",
    "Kryvyi Rih",
    "Kramatorsk",
    "Kupiansk",
    "Nikopol",
    "Izium",
)
OBLASTS = (
    "Kharkiv Oblast",
    "Donetsk Oblast",
    "Zaporizhzhia Oblast",
    "Kherson Oblast",
    "Sumy Oblast",
    "Dnipropetrovsk Oblast",
    "Odesa Oblast",
    "Mykolaiv Oblast",
    "Chernihiv Oblast",
    "Kyiv Oblast",
)
VILLAGES = (
    "Novoselivka",
    "Petrivka",
    "Zelenyi Hai",
    "Berezove",
    "Kamianka",
    "Vilshany",
    "Orlivka",
    "Stepove",
    "Lozova Balka",
    "Sosnivka",
)
COUNTRIES = (
    "Germany",
    "France",
    "Poland",
    "the Netherlands",
    "Sweden",
    "Denmark",
    "Norway",
    "Finland",
    "Canada",
    "Japan",
    "the U.K.",
    "Lithuania",
    "Estonia",
    "Czechia",
    "Spain",
    "Italy",
)
ORGS = (
    "the Air Force",
    "the General Staff",
    "the State Emergency Service",
    "the Defense Ministry",
    "the Foreign Ministry",
    "the Energy Ministry",
    "the regional military administration",
    "the Prosecutor General's Office",
    "the National Police",
    "the Infrastructure Ministry",
)
FIRST_NAMES = (
    "Oleh",
    "Iryna",
    "Andrii",
    "Natalia",
    "Serhii",
    "Yulia",
    "Taras",
    "Oksana",
    "Mykola",
    "Halyna",
    "Vasyl",
    "Larysa",
    "Bohdan",
    "Svitlana",
    "Roman",
    "Khrystyna",
)
LAST_NAMES = (
    "Kovalchuk",
    "Melnyk",
    "Shevchuk",
    "Bondarenko",
    "Tkachuk",
    "Marchenko",
    "Lysenko",
    "Hrytsenko",
    "Savchenko",
    "Kravchuk",
    "Moroz",
    "Pavliuk",
    "Zinchenko",
    "Karpenko",
    "Ostapenko",
    "Rudenko",
)
TITLES = (
    "Governor",
    "Mayor",
    "Deputy Defense Minister",
    "regional police chief",
    "Air Force spokesperson",
    "Deputy Foreign Minister",
    "lawmaker",
    "Energy Minister",
)
WEAPONS = (
    "a Shahed-type drone",
    "a guided aerial bomb",
    "a ballistic missile",
    "artillery fire",
    "an FPV drone",
    "a cruise missile",
    "a multiple rocket launcher",
)
TARGETS = (
    "a residential building",
    "an energy facility",
    "a grain warehouse",
    "a school",
    "a railway depot",
    "a private house",
    "a gas station",
    "a hospital",
    "a supermarket",
    "a water pumping station",
)
AGENCIES = (
    "AFP",
    "Reuters",
    "AP",
    "Getty Images",
    "Ukrinform",
    "Suspilne",
    "Global Images Ukraine",
    "Anadolu",
)
VENUES = ("Riyadh", "Istanbul", "Geneva", "Abu Dhabi", "Helsinki", "Vienna")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
ORDINALS = ("17th", "18th", "19th", "20th", "21st", "22nd")
POLICIES = (
    "military mobilization",
    "veterans' housing",
    "energy market reform",
    "local elections",
    "customs reform",
    "banking supervision",
)
AGENCY_NAMES = (
    "the customs service",
    "the tax service",
    "the State Property Fund",
    "the border guard service",
    "Ukrenergo's supervisory board",
)
BRIGADES = ("47th", "93rd", "3rd Assault", "72nd", "110th", "36th Marine")
CHANNELS = (
    "https://t.me/s/replica_airforce",
    "https://t.me/s/replica_oblast_admin",
    "https://www.facebook.com/replica.emergency",
    "https://www.mil.gov.ua/news/",
    "https://mfa.gov.ua/en/news",
)

CAPTION_SCENES = (
    "Rescue workers clear debris after a Russian strike on {city}",
    "Ukrainian artillerymen prepare a howitzer near {village}, {oblast}",
    "Residents queue for drinking water in {city}",
    "A damaged apartment block in {city}",
    "Delegates arrive for a meeting in {venue}",
    "Firefighters put out a blaze at {target} in {city}",
    "Soldiers of the {brigade} Brigade rest in a dugout in {oblast}",
    "A volunteer unloads humanitarian aid in {city}",
)

# topic -> (tags, title templates, sentence templates)
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "strike": (
        ("ukraine", "war"),
        (
            "Russian drone attack on {city} injures {n}",
            "{n} killed, {m} wounded as Russia strikes {city}",
            "Russia hits {city} energy facility overnight, {big} households lose power",
            "Drone debris sparks fires in {n} districts of {city}",
            "Russian strike on {city} damages {target}, officials say",
            "Overnight attack on {oblast} leaves {n} injured, including child",
            "Russian glide bombs hit {village} in {oblast}, {n} hurt",
            "{city} mayor says {big} residents without water after strike",
            "Russia launches {big} drones at Ukraine in one night, Air Force says",
        ),
        (
            "Russian forces struck {city} with {weapon} {date}, {official} reported.",
            "The attack damaged {target} and several cars parked nearby, according to {org}.",
            "At least {n} people were taken to hospital, {m} of them in serious condition.",
            "Emergency crews worked through the night to reach residents trapped under rubble.",
            "Windows were blown out in {n} neighboring buildings, local authorities said.",
            "The city's air raid alert lasted for more than {n} hours.",
            "Power was cut to about {big} households and restored by the morning, {org} said.",
            "{official} urged residents to stay in shelters while the alert was in force.",
        ),
    ),
    "frontline": (
        ("war", "military"),
        (
            "Ukrainian forces repel assault near {village}, {oblast}",
            "Russia claims capture of {village}; Kyiv says fighting continues",
            "General Staff: Russia lost {big} troops over past day",
            "{brigade} Brigade says it destroyed {n} Russian tanks near {city}",
            "Fighting intensifies around {village} as Russia brings in reserves",
            "Ukraine strikes Russian ammunition depot in occupied {oblast}, military says",
            "{brigade} Brigade shows drone footage of counterattack near {village}",
            "Russian troops cross river near {village}, analysts say",
        ),
        (
            "Russian units attempted {n} assaults near {village} over the past day, {org} said.",
            "Ukrainian defenders pushed back the attack and held their positions, "
            "according to the {brigade} Brigade.",
            "The claim could not be independently verified.",
            "Open-source analysts said the front line near {village} had barely moved in weeks.",
            "{official} said Russian forces were relying on small infantry groups and drones.",
            "Russia has lost about {big} troops since the start of the full-scale invasion, "
            "according to {org}.",
            "The situation in {oblast} remains difficult but under control, {official} said.",
        ),
    ),
    "diplomacy": (
        ("united-states", "russia", "trump-russia"),
        (
            "White House says next round of talks with Moscow set for {weekday}",
            "U.S. envoy to meet Russian officials in {venue}, media report",
            "Trump says he is 'not happy' with pace of talks after {venue} meeting",
            "Kremlin calls {weekday} contacts with U.S. 'useful,' denies ceasefire deal",
            "Putin rejects {n}-day truce proposal, demands new guarantees",
            "Trump and Putin discuss exchange of {big} prisoners, Kremlin says",
            "U.S. senators push new Russia sanctions bill after {weekday} talks",
            "State Department says it 'will not wait forever' for Moscow's reply on {n}-point plan",
            "Kremlin says no date yet for Trump-Putin meeting in {venue}",
        ),
        (
            "The talks are expected to take place in {venue} {date}, a U.S. official said.",
            "The Kremlin said it was ready to continue contacts but repeated its earlier demands.",
            "Kyiv has said it will not accept any deal reached without Ukraine at the table.",
            "Washington has proposed a {n}-day pause in strikes on energy infrastructure.",
            "'We want this to end, and we want it to end fairly,' the official told reporters.",
            "European leaders said they had not been briefed on the details in advance.",
            "Moscow has not commented on the proposal, according to state media.",
        ),
    ),
    "aid": (
        ("world", "military", "ukraine"),
        (
            "{country} pledges ${n}00 million in air defense aid to Ukraine",
            "{country} to deliver {n} armored vehicles to Ukraine by {month}",
            "EU agrees on new €{n} billion support package for Kyiv",
            "{country} and Ukraine sign 10-year security agreement",
            "{country} to fund production of {big} Ukrainian drones",
            "Ramstein group meets in {venue} as allies weigh new air defense deliveries",
        ),
        (
            "The package includes air defense missiles, ammunition and spare parts, "
            "{official} said {date}.",
            "Deliveries are expected to begin in {month}, according to the defense ministry "
            "of {country}.",
            "{country} has provided more than ${n} billion in military aid since 2022.",
            "Ukraine's Foreign Ministry thanked partners and called for faster deliveries.",
            "The agreement also covers joint production of drones and artillery shells.",
        ),
    ),
    "politics": (
        ("politics", "ukraine"),
        (
            "Parliament passes bill on {policy} in first reading",
            "Cabinet appoints new head of {agency}",
            "Anti-corruption bureau charges ex-official in ${n} million procurement case",
            "Lawmakers & government clash over {policy} draft",
            "Zelensky signs decree on {policy}",
            "Prosecutors open case against former head of {agency}",
        ),
        (
            "The bill was supported by {big} lawmakers, {official} said {date}.",
            "It must pass a second reading before it can be signed into law.",
            "Critics said the draft had been prepared without public consultation.",
            "The appointment follows months of pressure from Ukraine's partners.",
            "Investigators say the suspect inflated prices for {target} repairs.",
            "The suspect faces up to {n} years in prison if convicted.",
        ),
    ),
    "business": (
        ("business", "ukraine"),
        (
            "Ukraine's grain exports rise {pct}% in {month}",
            "National Bank keeps key rate at {pct}%",
            "Ukrainian drone maker opens second plant in {country}",
            "Investors pledge ${n} billion for reconstruction at {venue} conference",
            "Ukraine's economy grew {pct}% in third quarter, statistics service says",
            "Steelmaker restarts furnace in {city} after {n}-month pause",
        ),
        (
            "Exports reached {big} tons, according to the Agriculture Ministry.",
            "The central bank said inflation was slowing faster than expected.",
            "Ukrainian ports in {oblast} have kept working despite regular attacks.",
            "The company said it plans to hire {big} workers by the end of the year.",
            "Analysts expect growth of about {pct}% this year.",
        ),
    ),
    "europe": (
        ("world", "eastern-europe"),
        (
            "{country} expels Russian diplomat over espionage allegations",
            "Moldova & Romania agree on joint energy project worth €{n}00 million",
            "Belarus holds snap military drills {n} kilometers from Ukrainian border",
            "{country} detains {n} suspects in sabotage plot, prosecutors say",
            "Poland & Lithuania close airspace near border after {n} drones stray",
            "Moldova's parliament approves new cabinet with {n} new ministers",
        ),
        (
            "The diplomat was given {n} days to leave the country, {country}'s foreign ministry "
            "said.",
            "Authorities said the suspects had been paid through intermediaries in Russia.",
            "Minsk said the drills were planned in advance and posed no threat.",
            "Ukraine's border guard service said it saw no sign of troops massing near the border.",
            "The project will link the two power grids by {month}, officials said.",
        ),
    ),
    "sanctions": (
        ("russia", "world", "business"),
        (
            "EU adopts {ordinal} sanctions package against Russia",
            "Russian oil revenues fall {pct}% amid tighter price cap",
            "{country} freezes ${n}00 million in Russian assets",
            "Russia's central bank raises key rate to {pct}% as ruble slides",
            "{country} sanctions {n} tankers of Russia's shadow fleet",
        ),
        (
            "The package targets {n} vessels of Russia's shadow fleet, officials said.",
            "Russia's budget deficit widened to {pct}% of GDP, according to its Finance Ministry.",
            "The measures also ban exports of machine tools and electronics.",
            "Moscow called the sanctions illegal and promised a response.",
        ),
    ),
    "occupation": (
        ("collaborators", "crimea", "war"),
        (
            "Court sentences collaborator who aided Russian forces in {city}",
            "Occupation authorities in Crimea detain {n} residents",
            "Russia deported {n} children from occupied {oblast}, ombudsman says",
            "Ukraine brings home {n} children from Russian-occupied territories",
            "Occupation authorities seize {big} apartments in occupied {city}, report says",
        ),
        (
            "The man passed information on Ukrainian positions to Russian forces, prosecutors "
            "said.",
            "He was sentenced in absentia to {n} years in prison.",
            "Human rights groups say detentions in occupied territories have become routine.",
            "Ukraine has so far brought back {big} deported children, {official} said.",
        ),
    ),
}

OPINION_TITLES = (
    "{country} should stop counting the cost of helping Ukraine",
    "The lesson of {city}: air defense is not a luxury",
    "Why Europe cannot afford to look away from {city}",
    "The West's hesitation on air defense is costing lives in {city}",
    "We need to stop treating {country} as a bystander",
    "What a real ceasefire in {oblast} would require",
    "Sanctions work, but only if {country} enforces them",
    "Ukraine's {policy} reform is not a favor to Brussels",
)
OPINION_SENTENCES = (
    "It is tempting to believe that the war can be frozen without consequences.",
    "History offers little comfort to those who hope that aggression stops by itself.",
    "Every delay in deliveries is measured in destroyed homes and lost lives.",
    "Partners often praise Ukraine's resilience while postponing the decisions that matter.",
    "The choice is not between war and peace, but between deterrence and the next invasion.",
    "A settlement that rewards the aggressor would invite the same war a few years later.",
    "Ukrainians have shown what they are ready to pay; the question is what others will pay.",
    "The debate in {country} too often treats security as a cost rather than an investment.",
)
EXPLAINER_TITLES = (
    "Explainer: Why {oblast} matters for both armies",
    "Field report: Life on the edge of the front in {village}",
    "How {country} became one of Ukraine's key partners",
    "Explainer: What the {ordinal} sanctions package means for Russia",
    "How drone makers in {city} keep up with demand",
    "Inside {city}'s underground schools",
    "{n} things to know about the fight for {village}",
    "Investigation: How a ${n} million contract for {target} repairs went wrong",
    "Who is who in {city}'s new military administration",
)
EXPLAINER_SENTENCES = (
    "The story begins in {month}, when the first contracts were signed in {city}.",
    "According to documents reviewed by the replica desk, the deal changed hands twice.",
    "Engineers in {city} say they now assemble {big} drones a month.",
    "Teachers moved classes underground after a strike damaged {target} nearby.",
    "The numbers are hard to verify, but officials agree that the trend is clear.",
    "For many residents of {oblast}, the change came almost overnight.",
    "Experts interviewed for this story pointed to three main reasons.",
    "{person}, who asked that only her first name be used, has lived there for {n} years.",
)
EDITORIAL_TITLES = (
    "Editorial: The world must not get used to strikes on {city}",
    "Editorial: Half measures will not protect {city}",
    "Editorial: What {country} owes Ukraine",
)
HEADINGS = (
    "What happened",
    "Why it matters",
    "What comes next",
    "The numbers",
    "Reaction in Kyiv",
    "A long road",
    "On the ground",
    "The bigger picture",
)
QUOTES = (
    "'We rebuild after every attack, and we will rebuild this time too,' {official} said.",
    "'The situation is tense but stable,' {official} told reporters {date}.",
    "'Nobody here expects the strikes to stop soon,' {person}, a resident of {city}, said.",
    "'We need more air defense, and we need it now,' {official} said.",
)
SUMMARIES = (
    "{official} says the situation in {city} remains difficult after the latest attack.",
    "The decision affects {big} people in {oblast}, according to officials.",
    "Officials in {country} and Ukraine discussed the next steps {date}.",
    "The replica desk looks at what changed and what did not.",
    "Authorities say work to restore services in {city} will take {n} days.",
)
INTERVIEW_TITLES = (
    "Interview: {official} on what {city} needs this winter",
    "Interview: How {country} sees the next year of the war",
    "'We cannot plan beyond next week' — {city} doctors on working under fire",
)
LIVE_OPENERS = (
    "Key developments on {date}:",
    "Here are the main developments {date}:",
)
ROUNDUP_TITLE = (
    "{killed} killed, {injured} injured in Russian attacks against Ukraine over past day"
)
ROUNDUP_SENTENCES = (
    "In {region}, {k} people were hurt when {weapon} struck {target}, the regional "
    "administration said.",
    "A {age}-year-old man was killed in {region} after Russian forces shelled {village}, "
    "{official} said.",
    "Russian strikes on {region} damaged {target} and {n} private houses.",
    "Over the past day, Russian forces attacked {n} settlements in {region}, {official} reported.",
    "{k} residents of {region} were injured by drone attacks on {village} and nearby towns.",
)
