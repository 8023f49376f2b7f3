import os
import pathlib

import pytest

import ziggydb


def pytest_report_header(config):
    return f"ziggydb from {ziggydb.__file__}"


def pytest_configure(config):
    # run-tests.sh installs the package and names the directory it went to: the tests must run
    # against that installed copy, not a stray one.
    expected = os.environ.get("ZIGGYDB_EXPECT_SITE")
    if expected:
        actual = pathlib.Path(ziggydb.__file__).resolve().parent.parent
        assert actual == pathlib.Path(expected).resolve(), f"imported {actual}, not {expected}"


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "db")


@pytest.fixture
def db(db_path):
    database = ziggydb.DB(db_path, create_if_missing=True)
    yield database
    database.close()


@pytest.fixture
def abcd(db):
    for key in (b"a", b"b", b"c", b"d"):
        db.put(key, key.upper())
    return db
