"""The record of every handout given: who got which text, when and how, byte for byte.

ledger.py keeps it (SQLite in the practice folder by default, or a shared PostgreSQL), stored_files.py
keeps the files each handout was made from so it can be made again, fhir.py hands it to a chart.
"""
