"""Key phrases of what people say, and whether a mention asks for help or answers: pure text
functions, table-tested.

Phrases are bigrams of adjacent content words (no stop word of any supported language, no
digits, handles, hashtags or links between them): a cheap stand-in for noun phrases that needs no
language model. The stop words are a minimal list per language of the demo and the platforms'
most used ones; reporting keeps its own for top terms until the two are unified.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_STOP_WORDS = {
    "en": """
        a about above after again against all also am an and any anyone are aren't as at be
        because been before being below between both but by can can't cannot could couldn't did
        didn't do does doesn't doing don't down during each else ever every few for from further
        get gets getting got had hadn't has hasn't have haven't having he her here hers herself
        him himself his how i i'd i'll i'm i've if in into is isn't it it's its itself just
        know let's like lot lots may me might more most much must my myself need never no nor not
        now of off on once one only or other ought our ours ourselves out over own please
        pretty quite rather really same say says see seems shall she should shouldn't since so
        some someone something still such than that that's the their theirs them themselves then
        there there's these they they'd they'll they're they've thing things this those though
        through to too under until up upon us very via was wasn't way we we'd we'll we're we've
        well were weren't what what's when where which while who whom why will with within
        without won't would wouldn't yet you you'd you'll you're you've your yours yourself
        yourselves hey hi hello thanks thank thx pls lol ok okay yes yeah oh guys anybody
        everyone today yesterday tomorrow week weeks day days time times last next new good great
        bad best better quick small big little back even again already always two three ago
        fans anyone's wondering following same here keep keeps happening agreed wait try
    """,
    "es": """
        a al algo algunas algunos ante antes como con contra cual cuando de del desde donde
        durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estaba estado
        estamos estan están estar este esto estos estoy fue fueron ha habia había han hasta hay
        la las le les lo los me mi mis mucho muy más nada ni no nos nosotros o os otra otro para
        pero poco por porque que qué quien se sea ser si sí sin sobre son su sus también tan te
        tengo ti tiene tienen todo todos tu tus un una uno unos usted vosotros y ya yo gracias
        hola sabéis sabes llevo tres días lo mismo pasa
    """,
    "fr": """
        a ai alors au aucun aucune aussi autre aux avec avoir bon car ce cela ces cet cette ceux
        chez ci comme comment dans de des du elle elles en encore est et était été être eu fait
        faut il ils je jamais juste la le les leur leurs lui ma mais me même mes moi mon ne ni
        nos notre nous on ou où par pas pour plus peu quand que quel quelle qui sa sans se ses
        si son sont sur ta te tes toi ton toujours tous tout toute très tu un une vos votre vous
        y merci bonjour salut franchement pareil est-ce
    """,
    "de": """
        aber alle allem allen aller alles als also am an auch auf aus bei bin bis bist da damit
        dann das dass dein deine dem den der des dich die dir doch dort du durch ein eine einem
        einen einer eines er es etwas euch euer für gegen gibt hab habe haben hat hatte hier
        ich ihm ihn ihr ihre im in ist ja jetzt kann kein keine mich mir mit muss nach nicht
        nichts noch nur ob oder ohne schon sehr sein seine sich sie sind so über um und uns
        unser vom von vor war waren was weil wenn wer wie wieder wir wird wo zu zum zur danke
        hallo schon wieder seit tagen geht genauso
    """,
    "pt": """
        a ao aos as até com como da das de dela dele do dos e ela ele eles em entre era essa
        esse esta está este eu foi há isso isto já lhe mais mas me meu minha muito na não nas
        nem no nos nós o obrigado obrigada os ou para pela pelo por qual quando que quem se sem
        seu sua são também te tem tu um uma você vocês
    """,
    "it": """
        a ad al alla alle anche che chi ci come con da dal dalla dei del della delle di e è gli
        ha hanno ho i il in io la le lei lo loro lui ma mi mio molto ne nel nella no noi non o
        per perché più quando quello questa questo se si sono su sua suo ti tu tutto un una uno
        voi grazie ciao
    """,
    "nl": """
        aan al als bij dan dat de die dit door een en er had heb heeft het hij hoe ik in is je
        kan maar me met mijn na naar niet nog nu of om ook op over te tot uit van voor was wat
        we wel wij ze zijn zo dank bedankt hoi
    """,
}
STOP_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(words.split()) for language, words in _STOP_WORDS.items()
}
ALL_STOP_WORDS: frozenset[str] = frozenset().union(*STOP_WORDS.values())

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|(?<!\w)[@#]\w[\w.-]*")
# Words (letters, inner apostrophes and hyphens) and everything that breaks a phrase.
_APOSTROPHE = "\u2019"
_WORD = re.compile(rf"[^\W\d_]+(?:['{_APOSTROPHE}-][^\W\d_]+)*")
_BREAKING_TOKEN = re.compile(r"([^\W\d_]+(?:['-][^\W\d_]+)*)|[^\w\s]|\d+|_")
MIN_WORD_LENGTH = 3


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word.lower().replace(_APOSTROPHE, "'"))


def is_stop_word(word: str) -> bool:
    """A word no phrase starts or ends with, in any supported language."""
    return _fold(word) in ALL_STOP_WORDS


def key_phrases(text: str, *, exclude: Iterable[str] = ()) -> set[str]:
    """The bigrams of adjacent content words in ``text``, lower case ("brake squeal").

    ``exclude`` holds words that make no topic for this client (its own name and handles, as
    ``brand_words`` gives them).
    """
    excluded = exclude if isinstance(exclude, (set, frozenset)) else set(exclude)
    folded = unicodedata.normalize("NFC", _NOISE.sub(" . ", text).lower())
    phrases: set[str] = set()
    previous = ""
    # A word comes back as itself; anything between words that breaks a phrase as "".
    for word in _BREAKING_TOKEN.findall(folded.replace(_APOSTROPHE, "'")):
        if len(word) < MIN_WORD_LENGTH or word in ALL_STOP_WORDS or word in excluded:
            previous = ""
            continue
        if previous and previous != word:
            phrases.add(f"{previous} {word}")
        previous = word
    return phrases


def brand_words(*names: str) -> set[str]:
    """The words of a client's name and handles ("Lumen Bikes", "@lumenbikes" → lumen, bikes,
    lumenbikes): they say who is talked to, not what about."""
    words: set[str] = set()
    for name in names:
        words.update(_fold(w) for w in _WORD.findall(name.replace(".", " ").replace("_", " ")))
        words.add(_fold(name.lstrip("@").split("@")[0]))
    return {w for w in words if w}


_QUESTION_WORDS = frozenset(
    """how what where when why who which can could does do is are anyone anybody should would
    cómo qué dónde cuándo por quién sabéis sabes puedo comment pourquoi où quand quel quelle
    est-ce wie was wo wann warum wer gibt kann""".split()  # noqa: SIM905
)
_ME_TOO = re.compile(
    r"\b(same here|me too|\+1|same problem|same issue|same thing|following|wondering the same|"
    r"like to know too|i'?d like to know|me pasa lo mismo|pareil|geht mir genauso|"
    r"had exactly the same)\b|^\s*\+1",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """Asks something: a question mark, or opens with a question word."""
    if "?" in text or "¿" in text:
        return True
    first = _WORD.search(text)
    return bool(first) and _fold(first.group()) in _QUESTION_WORDS and len(text.split()) > 3


def asks_for_help(*, text: str, sentiment: str) -> bool:
    """A question or a complaint, something another customer could answer.

    Until mentions carry an intent of their own, a complaint is a negative mention.
    """
    return is_question(text) or sentiment == "negative"


def is_answer(*, text: str, sentiment: str) -> bool:
    """A reply that helps: not a question of its own, not a "me too", not negative."""
    return (
        sentiment != "negative"
        and not is_question(text)
        and not _ME_TOO.search(text)
        and len(_WORD.findall(text)) >= 3
    )


def excerpt(text: str, words: int = 8) -> str:
    """The first ``words`` words of ``text`` (… when cut)."""
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
