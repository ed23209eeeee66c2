"""Chat completions: answers generated as server-side tasks, stored as they stream."""
