"""The ground every layer stands on: errors, files written whole, scratch space, limits, languages and dates.

Imports nothing of handouts but itself."""
