"""The OpenAPI tags in the order a reader meets the API (read by settings: no Django here)."""

# The order a reader meets the API in (Swagger UI and the Postman collection follow it):
# tokens, the application itself, people, their network, content around a client, the feed
# and webhooks; the original library's deprecated paths last.
TAGS = [
    ("token-auth", "Tokens: a token for username and password."),
    ("token-refresh", "Tokens: renew a token (with the token, or username and password)."),
    ("token-verify", "Tokens: check a token."),
    ("me", "The calling application and its grants."),
    ("users", "The organisation's people."),
    ("relation-types", "Network: the organisation's relation types."),
    ("relations", "Network: direct relations between a client and a person."),
    ("groups", "Network: teams and locations."),
    ("group-members", "Network: professionals in a group."),
    ("group-clients", "Network: clients of a group."),
    ("families", "Network: households (feature)."),
    ("care-statuses", "Network: care statuses (feature)."),
    ("invitations", "Network: invitations (feature)."),
    ("message-threads", "Content: message threads around a client."),
    ("messages", "Content: messages."),
    ("appointments", "Content: appointments."),
    ("goals", "Content: goals and their progress."),
    ("reports", "Content: reports and diary entries."),
    ("documents", "Content: documents."),
    ("access-log", "Who read or changed whose data (NEN 7513)."),
    ("changes", "The change feed."),
    ("webhooks", "Webhooks of the change feed, and their deliveries."),
    ("api-token-auth", "Deprecated: the original library's path of token-auth."),
    ("api-token-refresh", "Deprecated: the original library's path of token-refresh."),
]
