"""Sales forecast per category: exponential smoothing beside a seasonal-naive baseline."""
