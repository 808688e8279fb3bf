"""The Releases page: what is deployed where, read from the release ledger (docs/releases-page.md)."""
