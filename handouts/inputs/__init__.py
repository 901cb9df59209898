"""The files a handout is made from: the search path (practice folder first, built-ins second), one snapshot
of them per command or request, and making a practice folder."""
