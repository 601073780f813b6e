"""The store's settings: validated at startup with the variable named, and the database password never shown."""

from __future__ import annotations

import pytest

from service.settings import Settings, SettingsError
from service.store.engine import safe_url
from service.store.records import CommentPolicy


def test_the_store_settings_default_to_sqlite_shared_replay_two_years_and_no_comments() -> None:
    settings = Settings.from_env({})
    assert settings.database_url is None
    assert settings.replay_store == "database"
    assert settings.retention_days == 730
    assert settings.feedback_comments is False


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("CDS_DATABASE_URL", "mysql://db/x", "sqlite:///"),
        ("CDS_DATABASE_URL", "ln-cds.sqlite3", "postgresql://"),
        ("CDS_REPLAY_STORE", "redis", "database, memory"),
        ("CDS_RETENTION_DAYS", "0", "from 1"),
        ("CDS_FEEDBACK_COMMENTS", "maybe", "on, off"),
        ("CDS_FEEDBACK_COMMENT_MAX_CHARS", "100000", "from 1 to 4000"),
    ],
)
def test_a_bad_store_setting_stops_startup_naming_the_variable(name: str, value: str, accepted: str) -> None:
    with pytest.raises(SettingsError, match=name) as caught:
        Settings.from_env({name: value})
    assert accepted in str(caught.value)


def test_the_database_password_stays_out_of_repr_and_messages() -> None:
    settings = Settings.from_env({"CDS_DATABASE_URL": "postgresql://ln:s3cret@db.example.org/ln"})
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in safe_url("postgresql://ln:s3cret@db.example.org/ln")


def test_comments_are_dropped_unless_kept_and_capped_when_kept() -> None:
    assert CommentPolicy().apply("seen in clinic") is None
    assert CommentPolicy(keep=True, max_chars=4).apply("seen in clinic") == "seen"
    assert CommentPolicy(keep=True).apply(None) is None
