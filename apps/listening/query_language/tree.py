"""The parsed query: one node class per construct, each matching tokenised text and printing
itself back canonically."""

from __future__ import annotations

import dataclasses
from typing import Any

from .tokens import KEYWORDS, TextTokens, _normalise_language, tokenize_text


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
