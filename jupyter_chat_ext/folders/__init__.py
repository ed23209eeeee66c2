"""Folders: a user's nested folders that chats can be moved into."""
