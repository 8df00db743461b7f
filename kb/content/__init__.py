"""The content core: the case-study format, its rules, parsing, validation and rendering. Imports nothing else in kb."""
