"""Stop words of the languages Rapport reads: the ``stop-words`` package's lists plus what
social posts are full of in each language (greetings, thanks, fillers, "same here") and the
pieces of links. One source for the report's top terms and the community's key phrases."""

from __future__ import annotations

import re

# Words the ``stop-words`` lists do not have but customers' posts are full of, by language.
_SOCIAL = {
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
        hey hi hello lol ok okay yeah yep yes guys thx pls omg btw tbh imo im ive dont cant wont
    """,
    "es": """
        a al algo algunas algunos ante antes como con contra cual cuando de del desde donde
        durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estaba estado
        estamos estan están estar este esto estos estoy fue fueron ha habia había han hasta hay
        la las le les lo los me mi mis mucho muy más nada ni no nos nosotros o os otra otro para
        pero poco por porque que qué quien se sea ser si sí sin sobre son su sus también tan te
        tengo ti tiene tienen todo todos tu tus un una uno unos usted vosotros y ya yo gracias
        hola sabéis sabes llevo tres días lo mismo pasa
        hola gracias vale
    """,
    "fr": """
        a ai alors au aucun aucune aussi autre aux avec avoir bon car ce cela ces cet cette ceux
        chez ci comme comment dans de des du elle elles en encore est et était été être eu fait
        faut il ils je jamais juste la le les leur leurs lui ma mais me même mes moi mon ne ni
        nos notre nous on ou où par pas pour plus peu quand que quel quelle qui sa sans se ses
        si son sont sur ta te tes toi ton toujours tous tout toute très tu un une vos votre vous
        y merci bonjour salut franchement pareil est-ce
        salut bonjour coucou merci oui ouais
    """,
    "de": """
        aber alle allem allen aller alles als also am an auch auf aus bei bin bis bist da damit
        dann das dass dein deine dem den der des dich die dir doch dort du durch ein eine einem
        einen einer eines er es etwas euch euer für gegen gibt hab habe haben hat hatte hier
        ich ihm ihn ihr ihre im in ist ja jetzt kann kein keine mich mir mit muss nach nicht
        nichts noch nur ob oder ohne schon sehr sein seine sich sie sind so über um und uns
        unser vom von vor war waren was weil wenn wer wie wieder wir wird wo zu zum zur danke
        hallo schon wieder seit tagen geht genauso
        hallo moin servus ja nee danke bitte
    """,
    "pt": """
        a ao aos as até com como da das de dela dele do dos e ela ele eles em entre era essa
        esse esta está este eu foi há isso isto já lhe mais mas me meu minha muito na não nas
        nem no nos nós o obrigado obrigada os ou para pela pelo por qual quando que quem se sem
        seu sua são também te tem tu um uma você vocês
        olá ola oi obrigado obrigada
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
        hoi hallo doei bedankt echt heel erg wel gewoon even nog zo ook
    """,
}
_LINKS = "http https www com amp"


def _words(language: str) -> frozenset[str]:
    """A language's stop words as the search index spells them: lower case, with the parts of
    words like "don't" or "l'été" (the index splits them) as well."""
    from stop_words import get_stop_words

    words = set(_SOCIAL[language].split()) | set(_LINKS.split())
    for word in get_stop_words(language):
        word = word.lower().replace("\u2019", "'")
        words.add(word)
        words.update(part for part in re.split("['\\-]", word) if part)
    return frozenset(words)


LANGUAGES = tuple(_SOCIAL)
STOP_WORDS: dict[str, frozenset[str]] = {language: _words(language) for language in LANGUAGES}
ALL_STOP_WORDS: frozenset[str] = frozenset().union(*STOP_WORDS.values())
