"""Local stand-ins for remote APIs, so tests, demos and benchmarks run without real clusters."""
