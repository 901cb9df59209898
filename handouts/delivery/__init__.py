"""A finished PDF sent to the clinic's printer."""
