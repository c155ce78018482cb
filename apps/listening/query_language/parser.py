"""Parsing an expression into a ``Query``, bounded in length, terms and nesting."""

from __future__ import annotations

from typing import NamedTuple

from .tokens import (
    _HANDLE_QUERY_RE,
    _HASHTAG_QUERY_RE,
    _LANGUAGE_RE,
    _WORD_RE,
    FIELD_NAMES,
    KEYWORDS,
    MAX_NESTING,
    PLATFORMS,
    QuerySyntaxError,
    _normalise,
    _normalise_language,
)
from .tree import And, Field, Handle, Hashtag, Node, Not, Or, Phrase, Prefix, Query, Term


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
