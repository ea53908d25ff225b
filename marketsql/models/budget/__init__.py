"""Marketing budget: response curves per channel (diminishing returns) and the allocation of a total."""
