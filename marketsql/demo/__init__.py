"""The demo: generated shop data with planted truths, and the demo project that uses it."""
