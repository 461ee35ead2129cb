"""twofactor: a GraphQL backend for user two-factor authentication."""

__version__ = "0.1.0"
