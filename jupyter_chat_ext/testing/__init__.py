"""Helpers for testing jupyter-chat-ext and for its demo; not imported by the extension itself."""
