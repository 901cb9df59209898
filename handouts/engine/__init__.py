"""HTML turned into the finished PDF: WeasyPrint (the only layer that imports it), the draft mark, PDF/UA."""
