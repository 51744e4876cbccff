"""A site's own package of docintake plugins (used by tests/test_plugins.py): one of each kind."""
