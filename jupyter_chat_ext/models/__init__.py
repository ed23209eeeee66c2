"""Models: every connection's models merged into one list, cached, refreshed in the background."""
