"""Events: a user's changes pushed to that user's other open tabs over a WebSocket."""
