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

The modules: ``tokens`` (words, normalisation, a mention's tokens), ``tree`` (the node classes
and ``Query``) and ``parser``; their public names are importable from here.
"""

from .parser import MAX_EXPRESSION_LENGTH, MAX_TERMS, parse, term_count
from .tokens import (
    FIELD_NAMES,
    KEYWORDS,
    MAX_NESTING,
    PLATFORMS,
    QuerySyntaxError,
    TextTokens,
    tokenize_text,
)
from .tree import And, Field, Handle, Hashtag, Node, Not, Or, Phrase, Prefix, Query, Term, TextNode

__all__ = [
    "FIELD_NAMES", "KEYWORDS", "MAX_EXPRESSION_LENGTH", "MAX_NESTING", "MAX_TERMS", "PLATFORMS",
    "And", "Field", "Handle", "Hashtag", "Node", "Not", "Or", "Phrase", "Prefix", "Query",
    "QuerySyntaxError", "Term", "TextNode", "TextTokens", "parse", "term_count", "tokenize_text",
]  # fmt: skip
