"""Spam scoring: is a mention someone to answer, or an offer nobody asked for?

A mention's spam score adds up independent signals (weights below); a score of ``THRESHOLD``
or more is spam. No single weak signal is enough — a customer may post a link to their order
or say "DM me" — but offers of followers, crypto or easy money are, and so are weak signals
together:

    signal                                                           weight
    an offer phrase ("check my profile", dating, "passive income")    3.0   (decisive alone)
    selling followers ("buy followers", "seguidores baratos")         3.0   (decisive alone)
    a number of followers ("10k real followers")                      2.0
    a crypto/investment pitch (bitcoin/USDT/forex + profit/giveaway)  2.0
    returns per period ("30% profit every week")                      1.5
    a money, prize or phishing pitch ("earn 500 a day", "claim your
        free gift", "your account is suspended")                      2.0
    a prize's urgency ("for the first 100")                           1.0
    a link (http, www., a bare domain)                                1.0
    a link shortener or a wall of links/hashtags                      1.0
    a call to action ("DM me", "link in bio", WhatsApp/Telegram)      1.0
    shouting (!!, $$$, mostly capitals)                               0.5
    the same text from other authors (two or more, nearby)            2.0
    a new account with no history (first mention, ≤ 10 followers)    1.0   (where the platform
                                                                            gives followers)

Offer vocabulary is written for English, German, French, Spanish, Dutch and Portuguese. The
text signals are pure functions of the text (``text_score``, run in the enrichment helper, each
expression only on texts holding one of its cue words, so most posts cost a few string tests).
The same text from other authors is counted within a page at ingest (``page_spam_scores``) and
across everything stored by ``signal_services.mentions_rescore_spam``; the new-account signal is
added by the ingest statement, which knows the author's history. Measured on
``tests/listening/data/spam_eval.csv`` by ``benchmarks/spam.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

THRESHOLD = 3.0
NEW_ACCOUNT_MAX_FOLLOWERS = 10
MIN_REPEATED_LENGTH = 20  # "Same here!" from several people is a conversation, not spam
REPEATED_AUTHORS = 2  # other authors with the same text

# Phrases no customer uses to talk to a brand (the old keyword list, kept, plus translations).
OFFER_PHRASES = (
    "free followers", "buy followers", "crypto giveaway", "double your bitcoin", "dm me to earn",
    "earn $", "work from home and earn", "click the link in my bio", "check my profile for",
    "100% guaranteed profit", "limited offer!!!", "hot singles", "followers kaufen",
    "gratis follower", "acheter des abonnés", "abonnés gratuits", "comprar seguidores",
    "seguidores gratis", "volgers kopen", "gratis volgers", "seguidores grátis",
    "ganhe dinheiro", "gana dinero desde casa", "verdiene von zuhause", "gagnez de l'argent",
    "geld verdienen vanuit huis", "guaranteed returns", "passive income",
    # self-promotion in someone else's conversation
    "check my profile", "visit my profile", "schau in mein profil", "regarde mon profil",
    "mira mi perfil", "vê o meu perfil", "veja meu perfil", "bekijk mijn profiel",
    # dating spam
    "singles in your area", "singles in deiner nähe", "célibataires près de chez vous",
    "solteros cerca de ti", "singles bij jou in de buurt", "solteiros perto de si",
)  # fmt: skip
_FOLLOWERS = (
    r"followers?|follower|likes|abonnés|abonnes|seguidores|volgers|views|subs(?:cribers)?|"
    r"abonnenten|abonnees|inscritos|suscriptores"
)
# "10k real followers": a number of followers (a customer may mention their own: weight 2)
_FOLLOWER_COUNT = re.compile(
    rf"\d[\d.,]*\s*k?\+?\s*(?:real|active|echte|vrais|reales|reais|organic|\w+\s)?"
    rf"\s*(?:{_FOLLOWERS})\b",
    re.IGNORECASE,
)
# "buy followers", "cheap likes", "seguidores baratos": selling followers (decisive)
_FOLLOWER_SALE = re.compile(
    rf"\b(?:buy|get|gain|grow|cheap|kaufen|kaufe|günstige|acheter|obtenez|gagnez|pas chers?|"
    rf"compra|comprar|consigue|baratos?|ganhe|krijg|koop|kopen|goedkope)\b[^.!?]{{0,30}}"
    rf"\b(?:{_FOLLOWERS})\b|\b(?:{_FOLLOWERS})\b[^.!?]{{0,30}}\b(?:kaufen|baratos?|pas chers?|"
    rf"kopen|cheap|for sale)\b",
    re.IGNORECASE,
)
_CRYPTO = re.compile(
    r"\b(?:bitcoins?|btc|crypto|krypto|cripto|usdt|eth(?:ereum)?|forex|nfts?|binance|airdrop)\b",
    re.IGNORECASE,
)
_PROFIT = re.compile(
    r"\b(?:profit|profits|gewinn|gewinne|rendite|bénéfices?|gains?|ganancias?|lucro|winst|"
    r"rendement|giveaway|double|verdoppeln|doublez|duplica|duplique|dobre|verdubbel|invest\w*|"
    r"investi\w*|investeer\w*|invier\w*|inversi\w*|invist\w*|airdrop|returns?|staking)\b",
    re.IGNORECASE,
)
# "30% profit every week", "5 % pro Tag": returns promised per period
_RETURNS = re.compile(
    r"\d+\s?%[^.!?]{0,30}\b(?:per|a|every|pro|par|por|al|ao|each|elke|chaque|cada|jede)\s+"
    r"(?:day|week|month|tag|woche|monat|jour|semaine|mois|d[ií]a|semana|mes|m[eê]s|dag|maand)\b",
    re.IGNORECASE,
)
# "your account has been suspended — verify": phishing
_PHISHING = re.compile(
    r"\b(?:account|konto|compte|cuenta|conta)\b[^.!?]{0,30}\b(?:flagged|suspended|blocked|locked|"
    r"gesperrt|suspendu|bloqué|suspendida|bloqueada|geblokkeerd|suspensa)",
    re.IGNORECASE,
)
# "for the first 100", "pour les 100 premiers": the urgency of a fake prize
_FIRST_N = re.compile(
    r"\bfor the first \d+|\bfür die ersten \d+|\bpour les \d+ premiers|\bpara los primeros \d+"
    r"|\bvoor de eerste \d+|\bpara os primeiros \d+",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"(?:(?:earn|make|made|verdiene|verdienen|verdient|gagne[rz]?|gagné|gana|ganar|gané|ganhe|"
    r"ganhar|ganhei|verdien|verdiende)\b[^.!?]{0,25}"
    r"(?:[$€£]\s?\d|\d[\d.,]*\s?(?:[$€£]|euro|eur|usd|dollars?|reais)))"
    r"|(?:claim|réclame|reclama|fordere|resgate|claim je)\b[^.!?]{0,30}"
    r"\b(?:free|gratis|gratuit|grátis|kostenlos|prize|prix|premio|prémio|prijs|preis|gift|"
    r"cadeau|regalo|presente|geschenk|cadeaubon|gutschein|bon)"
    r"|(?:free|gratis|gratuit\w*|grátis|kostenlose?s?)\s+(?:gift\s?cards?|iphone|prize|"
    r"cartes? cadeaux?|tarjetas? regalo|vale|gutscheine?|cadeaubonnen?)"
    r"|(?:gift\s?cards?|iphone|cartes? cadeaux?|tarjetas? regalo|vales?|gutscheine?|"
    r"cadeaubonnen?)\s+(?:free|gratis|gratuit\w*|grátis|kostenlos\w*)"
    r"|\bgiveaway\b|\bsorteo\b|\bgewinnspiel\b|\bwinactie\b|\bsorteio\b",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"https?://|www\.|\b[\w-]+\.(?:example|com|net|io|xyz|top|ru|biz|info|link|shop|site|online|"
    r"club|live|me|ly|gg|co)\b(?:/\S*)?",
    re.IGNORECASE,
)
_SHORTENER = re.compile(
    r"\b(?:bit\.ly|tinyurl\.com|t\.co|goo\.gl|cutt\.ly|rb\.gy|is\.gd|shorturl\.at|t\.me|"
    r"wa\.me|linktr\.ee)\b",
    re.IGNORECASE,
)
_CALL_TO_ACTION = re.compile(
    r"\bdm me\b|\bdm for\b|\blink in (?:my )?bio\b|\bcheck my (?:bio|profile)\b|whatsapp|"
    r"telegram|\bschreib mir\b|\bécris-moi\b|\bescríbeme\b|\bmanda (?:dm|mensagem)\b|"
    r"\bstuur me\b|\blien dans (?:ma )?bio\b|\blink in (?:meiner )?bio\b|\benlace en (?:mi )?bio\b|"
    r"\blink na bio\b|\bclick here\b|\bklik hier\b|\bcliquez ici\b|\bhaz clic\b|\bclique aqui\b|"
    r"\bhier klicken\b|\bcontact me\b|\binbox me\b|\bcheck out my (?:page|channel|profile)\b|"
    r"\bvisit my (?:page|profile)\b|\bauf meiner seite vorbei\b|\bpassez voir ma page\b|"
    r"\bpásate por mi página\b|\bkom langs op mijn pagina\b|\bpassa pela minha página\b",
    re.IGNORECASE,
)
_SHOUTING = re.compile(r"!!|\$\$|€€|🔥🔥|💰|🚀🚀", re.IGNORECASE)
_HASHTAG = re.compile(r"#\w")
MAX_LINKS, MAX_HASHTAGS = 3, 10


@dataclass(frozen=True)
class AuthorFacts:
    """What the page says about a mention's author, for the author's signals."""

    followers: int | None = None
    is_new: bool = False  # no earlier mention known from this author
    same_text_authors: int = 0  # other authors who posted the same text nearby


# Each signal's regular expression runs only on texts holding one of its cue words (word
# beginnings): most posts hold none, and ingest scores every item of every page.
_CUE_GROUPS = {
    "followers": ("follower", "likes", "abonn", "seguidor", "volger", "views", "subs", "inscrit",
                  "suscript"),
    "crypto": ("bitcoin", "btc", "crypto", "krypto", "cripto", "usdt", "eth", "forex", "nft",
               "binance", "airdrop"),
    "money": ("euro", "eur", "usd", "dollar", "reais", "claim", "réclam", "reclam", "forder",
              "resgat", "free", "gratis", "gratuit", "grátis", "kostenlos", "giveaway", "sorteo",
              "gewinnspiel", "winactie", "sorteio", "$", "€", "£"),
    "phishing": ("account", "konto", "compte", "cuenta", "conta"),
    "first": ("first", "ersten", "premiers", "primeros", "eerste", "primeiros"),
    "action": ("dm", "bio", "profil", "whatsapp", "telegram", "schreib", "écris", "escríbeme",
               "manda", "stuur", "click", "klik", "clique", "clic", "haz", "hier", "contact",
               "inbox", "check", "visit", "seite", "passez", "pásate", "kom", "passa", "lien",
               "link", "enlace"),
    "link": ("http", "www."),
    "offer": tuple({phrase.split()[0] for phrase in OFFER_PHRASES}),
}  # fmt: skip
_ALL_CUES = tuple(sorted({cue for cues in _CUE_GROUPS.values() for cue in cues}))
_WORD_EDGE = "¡¿([{\"'“«@*-"
_DOMAIN = re.compile(  # starts with a literal: the engine jumps from one "." to the next
    r"\.(?:example|co|net|io|xyz|top|ru|biz|info|link|shop|site|online|club|live|me|ly|gg|gl|gd|"
    r"at|ee|gy)\b"
)


def _cue_groups(lowered: str) -> set[str]:
    """Which signals' cue words the (lower-cased) text holds: one test per word, and which
    signal it cues only for the few words that are cues."""
    groups = set()
    for word in lowered.split():
        word = word.lstrip(_WORD_EDGE)
        if word.startswith(_ALL_CUES):
            groups.update(group for group, cues in _CUE_GROUPS.items() if word.startswith(cues))
    if _DOMAIN.search(lowered):
        groups.add("link")
    for symbol in "$€£":
        if symbol in lowered:
            groups.add("money")
    return groups


def text_score(text: str) -> float:
    """The text's own spam signals (a pure function: enrichment runs it for every item)."""
    lowered = text.lower()
    found = _cue_groups(lowered)
    if not found:
        return 1.0 if text.count("#") > MAX_HASHTAGS else 0.0
    if "offer" in found and any(phrase in lowered for phrase in OFFER_PHRASES):
        return THRESHOLD
    score = 0.0
    if "followers" in found:
        if _FOLLOWER_SALE.search(text):
            return THRESHOLD
        if _FOLLOWER_COUNT.search(text):
            score += 2.0
    if "crypto" in found and _CRYPTO.search(text) and _PROFIT.search(text):
        score += 2.0
    if "%" in text and _RETURNS.search(text):
        score += 1.5
    if ("money" in found and _MONEY.search(text)) or (
        "phishing" in found and _PHISHING.search(text)
    ):
        score += 2.0
    if "first" in found and _FIRST_N.search(text):
        score += 1.0
    linked = "link" in found
    links = len(_LINK.findall(text)) if linked else 0
    if links:
        score += 1.0
    if (linked and _SHORTENER.search(text)) or links > MAX_LINKS or text.count("#") > MAX_HASHTAGS:
        score += 1.0
    if "action" in found and _CALL_TO_ACTION.search(text):
        score += 1.0
    if score and (_SHOUTING.search(text) or _mostly_capitals(text)):
        score += 0.5  # shouting alone tips no verdict, whatever the author's signals
    return score


def _mostly_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 20 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def author_score(facts: AuthorFacts) -> float:
    """The author's spam signals: the same text as others, a brand-new empty account."""
    score = 0.0
    if facts.same_text_authors >= REPEATED_AUTHORS:
        score += 2.0
    if (
        facts.is_new
        and facts.followers is not None
        and (facts.followers <= NEW_ACCOUNT_MAX_FOLLOWERS)
    ):
        score += 1.0
    return score


def spam_score(text: str, facts: AuthorFacts | None = None) -> float:
    """Every signal of a mention: its text's and its author's."""
    return text_score(text) + (author_score(facts) if facts else 0.0)


def is_spam(text: str, facts: AuthorFacts | None = None) -> bool:
    return spam_score(text, facts) >= THRESHOLD


def normalised_text(text: str) -> str:
    """What counts as "the same text" across authors: case, spacing and handles aside."""
    return " ".join(re.sub(r"@[\w.]+", "@", text.lower()).split())


def same_text_authors(items) -> list[int]:
    """For each item (``text`` and ``author.handle``), how many *other* authors of the page
    posted the same text (texts shorter than ``MIN_REPEATED_LENGTH`` count as unique)."""
    keys = [normalised_text(item.text) for item in items]
    authors: dict[str, set[str]] = {}
    for key, item in zip(keys, items, strict=True):
        if len(key) >= MIN_REPEATED_LENGTH:
            authors.setdefault(key, set()).add(item.author.handle.strip().lstrip("@").lower())
    counts = Counter({key: len(handles) for key, handles in authors.items()})
    return [max(0, counts.get(key, 1) - 1) for key in keys]


def page_spam_scores(items) -> list[float]:
    """Each item's score from what a page alone shows: its text, and the same text posted by
    other authors of the page. The author's history is added by the ingest statement."""
    others = same_text_authors(items)
    return [
        text_score(item.text) + author_score(AuthorFacts(same_text_authors=count))
        for item, count in zip(items, others, strict=True)
    ]
