"""The platforms Rapport listens on, by name: every layer may name them (clients' accounts,
customers' handles); ``apps.channels.connectors`` has one connector module for each."""

PLATFORMS = (
    "rss",
    "mastodon",
    "reddit",
    "bluesky",
    "youtube",
    "facebook_page",
    "instagram",
    "webhook",
    "csv",
)
