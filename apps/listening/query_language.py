"""The listening query language: parse a client's boolean search expression and match mentions.

Grammar (NOT binds tighter than AND, AND tighter than OR; adjacent terms are ANDed)::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := unary (["AND"] unary)*
    unary    := ("NOT" | "-") unary | primary
    primary  := atom | "(" or_expr ")"
    atom     := word | word* | "exact phrase" | #hashtag | @handle | @handle@instance
              | platform:<platform> | lang:<code>

Keywords are case-insensitive. Matching is case- and punctuation-insensitive on word boundaries: a
word is a run of Unicode letters and digits, so ``coffee`` matches "Coffee!" (and the hashtag
"#coffee") but not "coffeehouse". ``#tag`` matches only the hashtag, ``@joe`` matches the handle
``@joe`` or a Mastodon-style ``@joe@instance.social``, and ``@joe@instance.social`` only that one.

Tokenise a mention once with :func:`tokenize_text`, then test any number of queries against it
with :meth:`Query.matches_tokens`; single words are set lookups, only wildcards scan the words.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any, NamedTuple

PLATFORMS = frozenset(
    {
        "rss",
        "mastodon",
        "reddit",
        "bluesky",
        "youtube",
        "facebook_page",
        "instagram",
        "webhook",
        "csv",
    }
)
FIELD_NAMES = {"platform": "platform", "lang": "lang", "language": "lang"}
KEYWORDS = frozenset({"AND", "OR", "NOT"})
MAX_NESTING = 100

# All patterns are linear: no nested quantifier can match the same text two ways.
_WORD_RE = re.compile(r"[^\W_]+")  # letters and digits, Unicode-aware
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
_HANDLE_BODY = r"(\w+(?:[.-]\w+)*)(?:@(\w+(?:[.-]\w+)+))?"
_HANDLE_RE = re.compile(r"(?<![\w@])@" + _HANDLE_BODY)
_HANDLE_QUERY_RE = re.compile(_HANDLE_BODY)
_HASHTAG_QUERY_RE = re.compile(r"\w+")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is the 0-based offset of the offending token."""

    def __init__(self, message: str, position: int | None = None, hint: str = "") -> None:
        text = message if position is None else f"{message} at position {position}"
        super().__init__(f"{text} ({hint})" if hint else text)
        self.message = message
        self.position = 0 if position is None else position


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _normalise_language(language: str) -> str:
    return language.casefold().replace("_", "-")


# --- Text side -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class TextTokens:
    """A mention's text, tokenised once: words in order, plus sets for constant-time lookups."""

    words: tuple[str, ...]
    word_set: frozenset[str]
    hashtags: frozenset[str]  # without '#'
    handles: frozenset[str]  # local parts ("joe") and full handles ("joe@mastodon.social")


def tokenize_text(text: str) -> TextTokens:
    """Split a mention's text into casefolded words, hashtags and handles."""
    normalised = _normalise(text)
    words = tuple(_WORD_RE.findall(normalised))
    handles: set[str] = set()
    if "@" in normalised:  # skip the scan for the many mentions without handles
        for local, domain in _HANDLE_RE.findall(normalised):
            handles.add(local)
            if domain:
                handles.add(f"{local}@{domain}")
    hashtags = _HASHTAG_RE.findall(normalised) if "#" in normalised else ()
    return TextTokens(
        words=words,
        word_set=frozenset(words),
        hashtags=frozenset(hashtags),
        handles=frozenset(handles),
    )


# --- AST -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Term:
    """A single word."""

    word: str

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        return self.word in tokens.word_set

    def __str__(self) -> str:
        return f'"{self.word}"' if self.word.upper() in KEYWORDS else self.word

    def to_dict(self) -> dict[str, Any]:
        return {"type": "term", "word": self.word}


@dataclasses.dataclass(frozen=True, slots=True)
class Prefix:
    """``stem*``: any word starting with the stem."""

    stem: str

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        stem = self.stem
        return any(word.startswith(stem) for word in tokens.word_set)

    def __str__(self) -> str:
        return f"{self.stem}*"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "prefix", "stem": self.stem}


@dataclasses.dataclass(frozen=True, slots=True)
class Phrase:
    """Two or more consecutive words, whatever punctuation lies between them."""

    words: tuple[str, ...]

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        word_set = tokens.word_set
        for word in self.words:
            if word not in word_set:
                return False
        sequence, wanted, size = tokens.words, self.words, len(self.words)
        first = wanted[0]
        start = sequence.index(first)
        while True:
            if sequence[start : start + size] == wanted:
                return True
            try:
                start = sequence.index(first, start + 1)
            except ValueError:
                return False

    def __str__(self) -> str:
        return '"' + " ".join(self.words) + '"'

    def to_dict(self) -> dict[str, Any]:
        return {"type": "phrase", "words": list(self.words)}


@dataclasses.dataclass(frozen=True, slots=True)
class Hashtag:
    """``#tag``: the hashtag only, not the bare word."""

    tag: str

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        return self.tag in tokens.hashtags

    def __str__(self) -> str:
        return f"#{self.tag}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "hashtag", "tag": self.tag}


@dataclasses.dataclass(frozen=True, slots=True)
class Handle:
    """``@joe`` (any instance) or ``@joe@mastodon.social`` (that account only)."""

    handle: str

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        return self.handle in tokens.handles

    def __str__(self) -> str:
        return f"@{self.handle}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "handle", "handle": self.handle}


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    """``platform:mastodon`` or ``lang:en``: tests the mention's metadata, not its text.

    ``lang:en`` also matches regional variants such as ``en-GB``; ``lang:en-gb`` matches only those.
    """

    name: str  # "platform" or "lang"
    value: str

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        if self.name == "platform":
            return platform == self.value
        return language == self.value or language.startswith(self.value + "-")

    def __str__(self) -> str:
        return f"{self.name}:{self.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "field", "name": self.name, "value": self.value}


@dataclasses.dataclass(frozen=True, slots=True)
class Not:
    """Negation: the operand must not match."""

    operand: Node

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        return not self.operand.matches(tokens, platform, language)

    def __str__(self) -> str:
        return f"NOT {_wrap(self.operand, 3)}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": "not", "operand": self.operand.to_dict()}


@dataclasses.dataclass(frozen=True, slots=True)
class And:
    """Every operand must match."""

    operands: tuple[Node, ...]

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        return all(operand.matches(tokens, platform, language) for operand in self.operands)

    def __str__(self) -> str:
        return " AND ".join(_wrap(operand, 2) for operand in self.operands)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "and", "operands": [operand.to_dict() for operand in self.operands]}


@dataclasses.dataclass(frozen=True, slots=True)
class Or:
    """At least one operand must match."""

    operands: tuple[Node, ...]

    def matches(self, tokens: TextTokens, platform: str, language: str) -> bool:
        return any(operand.matches(tokens, platform, language) for operand in self.operands)

    def __str__(self) -> str:
        # AND binds tighter anyway; the parentheses show the user how the query was read.
        return " OR ".join(_wrap(operand, 3) for operand in self.operands)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "or", "operands": [operand.to_dict() for operand in self.operands]}


Node = Term | Prefix | Phrase | Hashtag | Handle | Field | Not | And | Or
TextNode = Term | Prefix | Phrase | Hashtag | Handle
_PRECEDENCE: dict[type, int] = {Or: 1, And: 2, Not: 3}


def _wrap(node: Node, parent_precedence: int) -> str:
    text = str(node)
    return f"({text})" if _PRECEDENCE.get(type(node), 4) < parent_precedence else text


@dataclasses.dataclass(frozen=True, slots=True)
class Query:
    """A parsed query. Equal queries have equal normalised expressions, whatever their spelling."""

    root: Node
    source: str = dataclasses.field(default="", compare=False)

    def matches(self, text: str, *, platform: str = "", language: str = "") -> bool:
        return self.matches_tokens(tokenize_text(text), platform=platform, language=language)

    def matches_tokens(self, tokens: TextTokens, *, platform: str = "", language: str = "") -> bool:
        return self.root.matches(tokens, platform.casefold(), _normalise_language(language))

    def terms(self) -> tuple[TextNode, ...]:
        """The words, prefixes, phrases, hashtags and handles a match may require (not negated)."""
        found: list[TextNode] = []

        def visit(node: Node, negated: bool) -> None:
            if isinstance(node, Not):
                visit(node.operand, not negated)
            elif isinstance(node, And | Or):
                for operand in node.operands:
                    visit(operand, negated)
            elif not negated and not isinstance(node, Field) and node not in found:
                found.append(node)

        visit(self.root, False)
        return tuple(found)

    def to_dict(self) -> dict[str, Any]:
        return self.root.to_dict()

    def __str__(self) -> str:
        return str(self.root)


# --- Parsing ---------------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # "atom", "and", "or", "not", "lparen", "rparen", "end"
    position: int
    display: str
    node: Node | None = None


# Fair sharing: matching costs a check per term per mention, on workers every agency shares,
# so a query is bounded in length and in terms (words, phrases, tags, handles, filters).
MAX_EXPRESSION_LENGTH = 2_000
MAX_TERMS = 100


def parse(source: str) -> Query:
    """Parse a query, raising :class:`QuerySyntaxError` with the offending position (also for a
    query longer than ``MAX_EXPRESSION_LENGTH`` characters or of more than ``MAX_TERMS`` terms)."""
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise QuerySyntaxError(
            f"Query too long ({len(source):,} characters; at most {MAX_EXPRESSION_LENGTH:,})",
            MAX_EXPRESSION_LENGTH,
        )
    tokens = _tokenize_query(source)
    if len(tokens) == 1:
        raise QuerySyntaxError("Empty query")
    atoms = [token for token in tokens if token.kind == "atom"]
    if len(atoms) > MAX_TERMS:
        raise QuerySyntaxError(
            f"Too many terms ({len(atoms)}; at most {MAX_TERMS} in one query)",
            atoms[MAX_TERMS].position,
        )
    return Query(root=_Parser(tokens).parse(), source=source)


def term_count(query: Query) -> int:
    """How many terms (leaves) a parsed query checks: its matching cost per mention."""

    def count(node: Node) -> int:
        if isinstance(node, Not):
            return count(node.operand)
        if isinstance(node, And | Or):
            return sum(count(operand) for operand in node.operands)
        return 1

    return count(query.root)


def _tokenize_query(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    index, length = 0, len(source)
    while index < length:
        char = source[index]
        if char.isspace():
            index += 1
        elif char == "(":
            tokens.append(_Token("lparen", index, "'('"))
            index += 1
        elif char == ")":
            tokens.append(_Token("rparen", index, "')'"))
            index += 1
        elif char == '"':
            end = source.find('"', index + 1)
            if end == -1:
                raise QuerySyntaxError("Unclosed quote starting", index)
            words = _WORD_RE.findall(_normalise(source[index + 1 : end]))
            if not words:
                raise QuerySyntaxError("Empty phrase", index)
            tokens.append(_Token("atom", index, "phrase", _words_node(words)))
            index = end + 1
        elif char == "-" and _starts_operand(source[index + 1 : index + 2]):
            tokens.append(_Token("not", index, "'-'"))
            index += 1
        else:
            start = index
            while index < length and not _ends_word(source[index]):
                index += 1
            raw = source[start:index]
            keyword = raw.upper()
            if keyword in KEYWORDS:
                tokens.append(_Token(keyword.lower(), start, keyword))
            else:
                tokens.append(_Token("atom", start, raw, _atom(raw, start)))
    tokens.append(_Token("end", length, "end of query"))
    return tokens


def _ends_word(char: str) -> bool:
    return char.isspace() or char in '()"'


def _starts_operand(char: str) -> bool:
    """Whether a '-' followed by ``char`` is the NOT shorthand (``-decaf``, ``-(a b)``)."""
    return char not in ("", ")") and not char.isspace()


def _words_node(words: list[str]) -> Term | Phrase:
    return Term(words[0]) if len(words) == 1 else Phrase(tuple(words))


def _atom(raw: str, position: int) -> Node:
    if raw[0] in "#@":
        return _tag_or_handle(raw, position)
    name, colon, value = raw.partition(":")
    if colon and name.isascii() and name.isalpha():
        return _field(name, value, position)
    star = raw.find("*")
    if star == -1:
        words = _WORD_RE.findall(_normalise(raw))
        if not words:
            if raw == "-":
                raise QuerySyntaxError("Expected a term after '-'", position)
            raise QuerySyntaxError(f"Unexpected '{raw}'", position)
        return _words_node(words)
    if star != len(raw) - 1:
        raise QuerySyntaxError("Wildcard '*' is only allowed at the end of a word", position + star)
    words = _WORD_RE.findall(_normalise(raw[:-1]))
    if not words:
        raise QuerySyntaxError("Expected a word before '*'", position + star)
    if len(words) > 1:
        raise QuerySyntaxError("Wildcard '*' applies to a single word", position)
    return Prefix(words[0])


def _tag_or_handle(raw: str, position: int) -> Hashtag | Handle:
    kind = "hashtag" if raw[0] == "#" else "handle"
    star = raw.find("*")
    if star != -1:
        raise QuerySyntaxError(f"Wildcards are not supported in {kind}s", position + star)
    body = _normalise(raw[1:])
    if not body:
        raise QuerySyntaxError(f"Expected a {kind} after '{raw[0]}'", position)
    pattern = _HASHTAG_QUERY_RE if kind == "hashtag" else _HANDLE_QUERY_RE
    if pattern.fullmatch(body) is None:
        raise QuerySyntaxError(f"Invalid {kind} '{raw}'", position)
    return Hashtag(body) if kind == "hashtag" else Handle(body)


def _field(name: str, value: str, position: int) -> Field:
    field_name = FIELD_NAMES.get(name.casefold())
    if field_name is None:
        raise QuerySyntaxError(
            f"Unknown field '{name}'", position, hint="use platform: or lang:, or quote the text"
        )
    value_position = position + len(name) + 1
    if not value:
        raise QuerySyntaxError(f"Expected a value after '{name}:'", value_position)
    if field_name == "platform":
        platform = value.casefold()
        if platform not in PLATFORMS:
            raise QuerySyntaxError(
                f"Unknown platform '{value}'",
                value_position,
                hint="one of " + ", ".join(sorted(PLATFORMS)),
            )
        return Field("platform", platform)
    language = _normalise_language(value)
    if _LANGUAGE_RE.fullmatch(language) is None:
        raise QuerySyntaxError(
            f"Invalid language code '{value}'",
            value_position,
            hint="use a code such as en or pt-br",
        )
    return Field("lang", language)


def _combine(kind: type[And] | type[Or], items: list[Node]) -> Node:
    if len(items) == 1:
        return items[0]
    flat: list[Node] = []
    for item in items:
        flat.extend(item.operands if isinstance(item, kind) else (item,))
    return kind(tuple(flat))


class _Parser:
    """Recursive descent over the token list; each method parses one grammar rule."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        # Open parentheses and NOTs, bounded to stay clear of Python's recursion limit.
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.or_expr(after=None)
        token = self.peek()
        if token.kind != "end":  # only a stray ')' can be left over
            raise QuerySyntaxError(f"Unexpected {token.display}", token.position)
        return node

    def or_expr(self, after: _Token | None) -> Node:
        items = [self.and_expr(after)]
        while self.peek().kind == "or":
            operator = self.advance()
            items.append(self.and_expr(operator))
        return _combine(Or, items)

    def and_expr(self, after: _Token | None) -> Node:
        items = [self.unary(after)]
        while True:
            token = self.peek()
            if token.kind == "and":
                self.advance()
                items.append(self.unary(token))
            elif token.kind in ("atom", "lparen", "not"):
                items.append(self.unary(None))
            else:
                return _combine(And, items)

    def unary(self, after: _Token | None) -> Node:
        token = self.advance()
        if token.kind in ("not", "lparen"):
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise QuerySyntaxError("Query is nested too deeply", token.position)
        if token.kind == "atom":
            assert token.node is not None
            return token.node
        if token.kind == "not":
            operand = self.unary(token)
            self.depth -= 1
            return Not(operand)
        if token.kind == "lparen":
            inner = self.or_expr(token)
            if self.advance().kind != "rparen":  # or_expr stops only at ')' or the end
                raise QuerySyntaxError("Unclosed '('", token.position)
            self.depth -= 1
            return inner
        if token.kind == "end":
            if after is None:
                raise QuerySyntaxError("Empty query")
            if after.kind == "lparen":
                raise QuerySyntaxError("Unclosed '('", after.position)
            raise QuerySyntaxError(f"Expected a term after {after.display}", after.position)
        raise QuerySyntaxError(f"Unexpected {token.display}", token.position)
