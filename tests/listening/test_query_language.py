"""Specification of the listening query language: what a query matches and how bad syntax fails."""

from __future__ import annotations

import pytest

from apps.listening.query_language import (
    And,
    Field,
    Handle,
    Hashtag,
    Not,
    Or,
    Phrase,
    Prefix,
    QuerySyntaxError,
    Term,
    parse,
    tokenize_text,
)


def case(
    query: str, text: str, expected: bool, *, id: str, platform: str = "", language: str = ""
) -> pytest.param:
    return pytest.param(query, text, platform, language, expected, id=id)


MATCH_CASES = [
    # Single words: case- and punctuation-insensitive, whole words only.
    case("coffee", "Coffee!", True, id="word-ignores-case-and-trailing-punctuation"),
    case("coffee", "coffee, please", True, id="word-ignores-comma"),
    case("coffee", "(coffee)", True, id="word-ignores-brackets"),
    case("coffee", "a coffeehouse", False, id="word-does-not-match-longer-word"),
    case("coffee", "icedcoffee", False, id="word-does-not-match-inside-word"),
    case("COFFEE", "I like coffee", True, id="query-word-case-is-ignored"),
    case("coffee", "tea", False, id="absent-word-does-not-match"),
    case("coffee", "", False, id="empty-text-matches-nothing"),
    case("2024", "Best of 2024!", True, id="numbers-are-words"),
    case("coffee", "love #coffee", True, id="plain-word-also-matches-hashtag-text"),
    # Implicit AND and explicit operators.
    case("coffee beans", "beans for the coffee", True, id="adjacent-terms-are-anded-any-order"),
    case("coffee beans", "coffee only", False, id="adjacent-terms-all-required"),
    case("coffee AND beans", "coffee beans", True, id="explicit-and"),
    case("tea or coffee", "coffee time", True, id="lowercase-or-is-an-operator"),
    case("tea and coffee", "tea", False, id="lowercase-and-is-an-operator"),
    case("tea OR coffee", "water", False, id="or-needs-one-side"),
    # Precedence: NOT > AND > OR.
    case("tea OR coffee AND cake", "tea please", True, id="and-binds-tighter-than-or-left"),
    case("tea OR coffee AND cake", "coffee only", False, id="and-binds-tighter-than-or-right"),
    case("tea OR coffee AND cake", "coffee and cake", True, id="and-group-matches-under-or"),
    case("coffee AND cake OR tea", "just tea", True, id="or-after-and-group"),
    case("NOT decaf coffee", "coffee", True, id="not-binds-to-next-term-only"),
    case("NOT decaf coffee", "decaf coffee", False, id="not-excludes-its-term"),
    case("NOT decaf OR tea", "decaf tea", True, id="not-binds-tighter-than-or"),
    case("NOT (decaf OR tea)", "decaf", False, id="not-applies-to-group"),
    case("NOT (decaf OR tea)", "coffee", True, id="not-group-matches-when-neither"),
    # Nesting.
    case("(tea OR coffee) AND cake", "tea", False, id="parentheses-override-precedence"),
    case("(tea OR coffee) cake", "coffee cake", True, id="group-then-implicit-and"),
    case(
        "((espresso OR latte) AND (oat OR soy)) OR matcha",
        "a soy latte",
        True,
        id="nested-groups-both-sides",
    ),
    case(
        "((espresso OR latte) AND (oat OR soy)) OR matcha",
        "an oat cappuccino",
        False,
        id="nested-groups-one-side-missing",
    ),
    case("(((coffee)))", "coffee", True, id="redundant-parentheses"),
    # NOT combinations.
    case("coffee NOT decaf", "decaf coffee", False, id="trailing-not-is-and-not"),
    case("coffee AND NOT decaf", "coffee", True, id="and-not"),
    case("coffee -decaf", "decaf coffee", False, id="minus-is-not-shorthand"),
    case("coffee -decaf", "coffee", True, id="minus-passes-when-absent"),
    case('coffee -"oat milk"', "coffee with oat milk", False, id="minus-phrase"),
    case("-(tea OR water) coffee", "coffee and water", False, id="minus-group"),
    case("NOT NOT coffee", "coffee", True, id="double-negation"),
    case("NOT coffee", "tea", True, id="query-can-be-pure-negation"),
    case("coffee-beans", "coffee beans", True, id="hyphen-inside-word-is-not-negation"),
    # Phrases.
    case('"oat milk"', "I love oat milk!", True, id="phrase-consecutive-words"),
    case('"oat milk"', "oat-milk latte", True, id="phrase-ignores-hyphen-between"),
    case('"oat milk"', "oat, milk", True, id="phrase-ignores-comma-between"),
    case('"oat milk"', "milk oat", False, id="phrase-requires-order"),
    case('"oat milk"', "oat and milk", False, id="phrase-requires-adjacency"),
    case('"oat milk"', "oatmilk", False, id="phrase-does-not-match-joined-word"),
    case('"oat milk"', "oat oat milk", True, id="phrase-found-after-false-start"),
    case('"OAT milk, LATTE"', "oat milk latte.", True, id="phrase-ignores-case-and-punctuation"),
    case('"coffee"', "Coffee!", True, id="one-word-phrase-is-a-word"),
    case('"and"', "this and that", True, id="quoted-keyword-is-a-word"),
    case("don't", "I don't know", True, id="apostrophe-word-matches-as-phrase"),
    # Wildcards.
    case("coffee*", "coffeehouse", True, id="prefix-matches-longer-word"),
    case("coffee*", "coffee", True, id="prefix-matches-exact-word"),
    case("coffee*", "Coffees!", True, id="prefix-ignores-case"),
    case("coffee*", "icedcoffee", False, id="prefix-anchored-at-word-start"),
    case("barista* -rude", "baristas were rude", False, id="prefix-with-negation"),
    # Hashtags.
    case("#brew", "#Brew time", True, id="hashtag-ignores-case"),
    case("#brew", "brew time", False, id="hashtag-does-not-match-bare-word"),
    case("#brew", "#brewing", False, id="hashtag-is-whole"),
    case("#brew", "new c#brew", False, id="hash-inside-word-is-not-a-hashtag"),
    case("#coffee_time", "#coffee_time!", True, id="hashtag-with-underscore"),
    case("#café", "#CAFÉ", True, id="unicode-hashtag"),
    # Handles.
    case("@joe", "thanks @Joe!", True, id="handle-ignores-case-and-punctuation"),
    case("@joe", "thanks joe", False, id="handle-does-not-match-bare-word"),
    case("@joe", "@joey", False, id="handle-is-whole"),
    case("@joe", "mail joe@example.com", False, id="email-is-not-a-handle"),
    case("@joe", "cc @joe@mastodon.social", True, id="handle-matches-full-mastodon-handle"),
    case(
        "@joe@mastodon.social",
        "cc @Joe@Mastodon.social.",
        True,
        id="full-handle-matches-same-account",
    ),
    case(
        "@joe@mastodon.social",
        "cc @joe@fosstodon.org",
        False,
        id="full-handle-rejects-other-instance",
    ),
    case("@joe@mastodon.social", "cc @joe", False, id="full-handle-rejects-bare-local-handle"),
    case("@alice.bsky.social", "hi @alice.bsky.social.", True, id="bluesky-domain-handle"),
    # Unicode.
    case("café", "Best CAFÉ in town", True, id="unicode-case-folding"),
    case("café", "best cafe", False, id="accents-are-significant"),
    case("naïve", "so nai\u0308ve", True, id="decomposed-accents-are-normalised"),
    case("straße", "STRASSE", True, id="full-case-folding"),
    case("über*", "Überraschung!", True, id="unicode-prefix"),
    case("москва", "москва!".upper(), True, id="cyrillic-words"),
    case("москва", "в Москве", False, id="cyrillic-whole-words"),
    # Platform and language filters.
    case("coffee platform:mastodon", "coffee", True, platform="mastodon", id="platform-matches"),
    case("coffee platform:mastodon", "coffee", False, platform="reddit", id="platform-rejects"),
    case("coffee platform:mastodon", "coffee", False, id="platform-rejects-unknown-platform"),
    case(
        "platform:reddit OR platform:bluesky",
        "anything",
        True,
        platform="bluesky",
        id="platform-alternatives",
    ),
    case("coffee -platform:reddit", "coffee", False, platform="reddit", id="excluded-platform"),
    case("Platform:Mastodon", "", True, platform="mastodon", id="field-name-and-value-any-case"),
    case("coffee lang:en", "coffee", True, language="en", id="language-matches"),
    case("coffee lang:en", "coffee", True, language="en-GB", id="language-matches-region"),
    case("coffee lang:en", "coffee", False, language="es", id="language-rejects"),
    case("coffee lang:en", "coffee", False, id="language-rejects-unknown-language"),
    case("lang:en-gb", "x", True, language="en_GB", id="regional-language-matches-same-region"),
    case("lang:en-gb", "x", False, language="en-US", id="regional-language-rejects-other-region"),
    case("language:fr", "x", True, language="fr", id="language-is-alias-of-lang"),
    case("coffee lang:en", "lang en coffee", False, id="filters-ignore-the-text"),
]


@pytest.mark.parametrize(("query", "text", "platform", "language", "expected"), MATCH_CASES)
def test_query_matches_mention(
    query: str, text: str, platform: str, language: str, expected: bool
) -> None:
    assert parse(query).matches(text, platform=platform, language=language) is expected


ERROR_CASES = [
    pytest.param("", 0, "Empty query", id="empty"),
    pytest.param("   ", 0, "Empty query", id="only-spaces"),
    pytest.param("(coffee OR tea", 0, "Unclosed '('", id="unclosed-parenthesis"),
    pytest.param("((coffee)", 0, "Unclosed '('", id="unclosed-outer-parenthesis"),
    pytest.param("coffee OR tea)", 13, "Unexpected ')'", id="unopened-parenthesis"),
    pytest.param("()", 1, "Unexpected ')'", id="empty-parentheses"),
    pytest.param("coffee AND", 7, "Expected a term after AND", id="dangling-and"),
    pytest.param("coffee OR", 7, "Expected a term after OR", id="dangling-or"),
    pytest.param("coffee NOT", 7, "Expected a term after NOT", id="dangling-not"),
    pytest.param("coffee -", 7, "Expected a term after '-'", id="dangling-minus"),
    pytest.param("OR coffee", 0, "Unexpected OR", id="leading-or"),
    pytest.param("coffee AND OR tea", 11, "Unexpected OR", id="operators-in-a-row"),
    pytest.param("coffee OR AND tea", 10, "Unexpected AND", id="or-then-and"),
    pytest.param("(AND coffee)", 1, "Unexpected AND", id="operator-after-open-parenthesis"),
    pytest.param('say "oat milk', 4, "Unclosed quote starting", id="unclosed-quote"),
    pytest.param('coffee ""', 7, "Empty phrase", id="empty-phrase"),
    pytest.param('coffee "?!"', 7, "Empty phrase", id="punctuation-only-phrase"),
    pytest.param("*", 0, "Expected a word before '*'", id="bare-wildcard"),
    pytest.param("co*ffee", 2, "only allowed at the end of a word", id="wildcard-mid-word"),
    pytest.param("oat-mi*", 0, "applies to a single word", id="wildcard-on-compound"),
    pytest.param("#", 0, "Expected a hashtag after '#'", id="bare-hash"),
    pytest.param("coffee @", 7, "Expected a handle after '@'", id="bare-at"),
    pytest.param("#coffee!", 0, "Invalid hashtag", id="hashtag-with-punctuation"),
    pytest.param("#coffee*", 7, "Wildcards are not supported in hashtags", id="hashtag-wildcard"),
    pytest.param("coffee & tea", 7, "Unexpected '&'", id="punctuation-as-term"),
    pytest.param("foo:bar", 0, "Unknown field 'foo'", id="unknown-field"),
    pytest.param("coffee platform:myspace", 16, "Unknown platform 'myspace'", id="bad-platform"),
    pytest.param("platform:", 9, "Expected a value after 'platform:'", id="missing-field-value"),
    pytest.param("(" * 101 + "a" + ")" * 101, 100, "nested too deeply", id="too-deeply-nested"),
    pytest.param("lang:english", 5, "Invalid language code 'english'", id="bad-language"),
]


@pytest.mark.parametrize(("source", "position", "fragment"), ERROR_CASES)
def test_malformed_query_reports_position(source: str, position: int, fragment: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(source)
    assert caught.value.position == position
    assert fragment in str(caught.value)


def test_syntax_error_reads_as_sentence_and_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^Unexpected '\)' at position 13$"):
        parse("coffee OR tea)")
    with pytest.raises(QuerySyntaxError, match=r"^Unclosed quote starting at position 3$"):
        parse('tea"oat milk')
    with pytest.raises(QuerySyntaxError, match=r"^Empty query$"):
        parse("")


def test_bad_platform_error_lists_valid_platforms() -> None:
    with pytest.raises(QuerySyntaxError, match="facebook_page, instagram, mastodon"):
        parse("platform:myspace")


ROUND_TRIP_QUERIES = [
    "coffee",
    "(coffee and not decaf) or #brew",
    "tea OR coffee AND cake",
    "(tea OR coffee) cake",
    "NOT (a OR b) -c",
    "NOT NOT coffee",
    "-(tea water) coffee*",
    '"oat milk" OR "and" OR "Or"',
    "don't stop",
    "((espresso OR latte) AND (oat OR soy)) OR matcha",
    "@joe@Mastodon.social OR @alice.bsky.social",
    "#café straße",
    "coffee platform:Mastodon lang:EN_gb",
    "a OR (b OR (c OR d))",
    "a (b (c d))",
]


@pytest.mark.parametrize("source", ROUND_TRIP_QUERIES)
def test_printed_query_parses_to_the_same_expression(source: str) -> None:
    query = parse(source)
    reparsed = parse(str(query))
    assert reparsed == query
    assert str(reparsed) == str(query)


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("(coffee and not decaf) or #brew", "(coffee AND NOT decaf) OR #brew"),
        ("tea OR coffee cake", "tea OR (coffee AND cake)"),
        ("(tea OR coffee) cake", "(tea OR coffee) AND cake"),
        ("-decaf", "NOT decaf"),
        ("-(tea OR water)", "NOT (tea OR water)"),
        ('"Oat  Milk!"', '"oat milk"'),
        ("oat-milk", '"oat milk"'),
        ("a OR (b OR c)", "a OR b OR c"),
        ("Platform:Mastodon lang:EN_gb", "platform:mastodon AND lang:en-gb"),
    ],
)
def test_printed_query_shows_how_it_was_understood(source: str, printed: str) -> None:
    assert str(parse(source)) == printed


def test_and_binds_tighter_than_or_in_the_tree() -> None:
    assert parse("a OR b AND c").root == Or((Term("a"), And((Term("b"), Term("c")))))
    assert parse("NOT a b").root == And((Not(Term("a")), Term("b")))


def test_terms_lists_positive_text_terms_once() -> None:
    query = parse('(coffee OR "oat milk") -decaf #brew lang:en bean* @joe coffee NOT NOT tea')
    assert query.terms() == (
        Term("coffee"),
        Phrase(("oat", "milk")),
        Hashtag("brew"),
        Prefix("bean"),
        Handle("joe"),
        Term("tea"),
    )


def test_to_dict_describes_the_tree() -> None:
    assert parse("(coffee -decaf) OR platform:rss").to_dict() == {
        "type": "or",
        "operands": [
            {
                "type": "and",
                "operands": [
                    {"type": "term", "word": "coffee"},
                    {"type": "not", "operand": {"type": "term", "word": "decaf"}},
                ],
            },
            {"type": "field", "name": "platform", "value": "rss"},
        ],
    }
    assert Field("lang", "en").to_dict() == {"type": "field", "name": "lang", "value": "en"}


def test_tokenize_text_extracts_words_hashtags_and_handles() -> None:
    tokens = tokenize_text("Thanks @Joe@Mastodon.social & @ann: #Café_Time, it's GREAT!")
    assert tokens.words == (
        "thanks",
        "joe",
        "mastodon",
        "social",
        "ann",
        "café",
        "time",
        "it",
        "s",
        "great",
    )
    assert tokens.hashtags == {"café_time"}
    assert tokens.handles == {"joe", "joe@mastodon.social", "ann"}


def test_one_tokenisation_serves_many_queries() -> None:
    tokens = tokenize_text("Loving the new #oatmilk latte from @brewco")
    queries = {
        "latte": True,
        "#oatmilk": True,
        "oatmilk": True,
        '"new oatmilk latte"': True,
        "@brewco -espresso": True,
        "lov* lang:en": True,
        "espresso OR mocha": False,
        "platform:reddit": False,
    }
    results = {
        source: parse(source).matches_tokens(tokens, platform="mastodon", language="en")
        for source in queries
    }
    assert results == queries


def test_queries_with_the_same_meaning_are_equal() -> None:
    assert parse("Coffee and (tea)") == parse("coffee tea")
    assert parse("coffee tea") != parse("tea coffee")
    assert parse("coffee").source == "coffee"
