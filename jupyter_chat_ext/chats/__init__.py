"""Chats: their message trees, tags, export and import."""
