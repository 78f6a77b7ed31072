"""The Bolt shell."""
