"""The parts of the one interface catalogue :mod:`kesu.i18n`, one module per area.

Each part holds ``STRINGS: dict[language, dict[key, text]]`` for every language of
:data:`kesu.i18n.LANGUAGES`; :mod:`kesu.i18n` registers the parts, merges them and
refuses a key defined in two parts. Split by area so that work on different areas
touches different files.
"""
