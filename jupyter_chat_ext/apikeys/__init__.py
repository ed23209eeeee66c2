"""API keys: per-user secrets for chat-ext's OpenAI- and Ollama-compatible APIs, stored hashed."""
