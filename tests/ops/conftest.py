"""The security tests' signing key fixture, for the jwt-mode checks of the ops endpoints."""

from tests.security.conftest import ec_key  # noqa: F401  # a fixture re-exported for pytest to find
