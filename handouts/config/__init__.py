"""Those files read and validated: the practice, visit types, modules, surgeons, their translations, and who
approved which text."""
