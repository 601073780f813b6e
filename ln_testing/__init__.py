"""Test doubles shared by the test suite and the developer tools in bench/ (never shipped, never imported by the
service). bench/ imports these instead of `tests.*`, so the tools do not depend on the test suite's layout."""
