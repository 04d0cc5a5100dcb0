"""Intake: reading analysts' files, checking them and the upload envelope."""
