"""Presets: models that wrap a base model with a name, a system prompt and default parameters."""
