"""One patient's handout request, checked before anything is rendered, and who it is for."""
