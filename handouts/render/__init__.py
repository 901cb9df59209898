"""A request turned into HTML: the Jinja2 sandbox, the drawings, and each text's version (what it prints)."""
