"""OpenAI- and Ollama-compatible APIs over every connected model, for any client that speaks
either wire format. Requests authenticate as a Jupyter user or with a chat-ext API key."""
