"""Other databases a built project mirrors onto."""
