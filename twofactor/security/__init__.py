"""The security core: pure functions for codes, secrets, passwords and limits.

Nothing here imports the rest of twofactor, so each rule can be read and
tested on its own.
"""
