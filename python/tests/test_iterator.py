"""Iterator edge cases, checked against plyvel's documented cursor model and, where python3-plyvel
is installed, against plyvel itself on the same operations (a differential test)."""

import random

import pytest

import ziggydb

KEYS = [b"", b"a", b"a\x00", b"ab", b"b", b"b\xff", b"b\xff\xff", b"c", b"\xff", b"\xff\xff"]


@pytest.fixture
def keys_db(db):
    for key in KEYS:
        db.put(key, b"v" + key)
    return db


def test_plain_ranges(abcd):
    db = abcd
    assert list(db.iterator(include_value=False)) == [b"a", b"b", b"c", b"d"]
    assert list(db.iterator(start=b"b", stop=b"d", include_value=False)) == [b"b", b"c"]
    assert list(db.iterator(start=b"b", stop=b"d", include_start=False, include_stop=True,
                            include_value=False)) == [b"c", b"d"]
    assert list(db.iterator(reverse=True, start=b"b", stop=b"d")) == [(b"c", b"C"), (b"b", b"B")]
    assert list(db.iterator(start=b"c", stop=b"b")) == []
    assert list(db.iterator(start=b"bb", stop=b"bc")) == []
    assert list(db.iterator(include_key=False)) == [b"A", b"B", b"C", b"D"]
    assert list(db.iterator(include_key=False, include_value=False)) == [None] * 4


def test_prefix(keys_db):
    assert list(keys_db.iterator(prefix=b"b", include_value=False)) == [b"b", b"b\xff",
                                                                       b"b\xff\xff"]
    assert list(keys_db.iterator(prefix=b"\xff", include_value=False)) == [b"\xff", b"\xff\xff"]
    assert len(list(keys_db.iterator(prefix=b""))) == len(KEYS)
    assert list(keys_db.iterator(prefix=b"zz")) == []
    with pytest.raises(TypeError):
        keys_db.iterator(prefix=b"a", start=b"a")
    with pytest.raises(TypeError):
        keys_db.iterator(prefix="a")


def test_cursor_moves_between_entries(abcd):
    it = abcd.iterator(include_value=False)
    assert next(it) == b"a"
    assert it.prev() == b"a"
    with pytest.raises(StopIteration):
        it.prev()
    assert next(it) == b"a"
    it.seek_to_stop()
    with pytest.raises(StopIteration):
        next(it)
    assert it.prev() == b"d"
    it.seek(b"bb")
    assert next(it) == b"c"
    it.seek(b"b")
    assert next(it) == b"b"
    it.seek_to_start()
    assert [next(it) for _ in range(4)] == [b"a", b"b", b"c", b"d"]
    with pytest.raises(StopIteration):
        next(it)
    assert [it.prev() for _ in range(4)] == [b"d", b"c", b"b", b"a"]


def test_reverse_cursor(abcd):
    it = abcd.iterator(reverse=True, include_value=False)
    assert next(it) == b"d"
    assert it.prev() == b"d"
    it.seek(b"c")
    assert next(it) == b"b"  # before the cursor, which seek put before c
    it.seek_to_stop()  # the high end, in either direction
    assert next(it) == b"d"
    it.seek_to_start()
    with pytest.raises(StopIteration):
        next(it)
    assert it.prev() == b"a"


def test_seek_outside_range(abcd):
    it = abcd.iterator(start=b"b", stop=b"d", include_value=False)
    it.seek(b"z")
    with pytest.raises(StopIteration):
        next(it)
    assert it.prev() == b"c"
    it.seek(b"0")
    assert next(it) == b"b"
    it = abcd.iterator(reverse=True, start=b"b", stop=b"d", include_value=False)
    it.seek(b"z")
    assert next(it) == b"c"


def test_empty_db(db):
    it = db.iterator()
    with pytest.raises(StopIteration):
        next(it)
    with pytest.raises(StopIteration):
        it.prev()
    it.seek(b"a")
    with pytest.raises(StopIteration):
        next(it)
    assert list(db.iterator(reverse=True)) == []
    raw = db.raw_iterator()
    raw.seek_to_first()
    assert not raw.valid()


def test_iterator_is_a_consistent_view(abcd):
    it = abcd.iterator(include_value=False)
    abcd.put(b"bb", b"new")
    abcd.delete(b"c")
    assert list(it) == [b"a", b"b", b"c", b"d"]


def test_bytes_like_bounds(abcd):
    assert list(abcd.iterator(start=bytearray(b"b"), stop=memoryview(b"c"),
                              include_value=False)) == [b"b"]
    it = abcd.iterator(include_value=False)
    it.seek(bytearray(b"c"))
    assert next(it) == b"c"
    with pytest.raises(TypeError):
        it.seek("c")
    with pytest.raises(TypeError):
        abcd.iterator(start="a")


def test_raw_iterator(abcd):
    raw = abcd.raw_iterator()
    assert not raw.valid()
    for call in (raw.key, raw.value, raw.item, raw.next, raw.prev):
        with pytest.raises(ziggydb.IteratorInvalidError):
            call()
    raw.seek_to_first()
    assert raw.item() == (b"a", b"A")
    raw.next()
    assert (raw.key(), raw.value()) == (b"b", b"B")
    raw.seek_to_last()
    assert raw.key() == b"d"
    raw.next()
    assert not raw.valid()
    raw.seek(b"bb")
    assert raw.key() == b"c"
    raw.prev()
    assert raw.key() == b"b"
    raw.close()
    with pytest.raises(RuntimeError):
        raw.valid()
    with abcd.raw_iterator() as raw:
        raw.seek_to_first()
        assert raw.key() == b"a"


def test_iterators_over_many_tables(db):
    # Keys spread over memtable and several tables, with overwrites and deletions in between.
    expected = {}
    rng = random.Random(7)
    print("seed 7")
    for round_ in range(4):
        for _ in range(500):
            key = b"%04d" % rng.randrange(1000)
            if rng.random() < 0.2:
                db.delete(key)
                expected.pop(key, None)
            else:
                value = b"%d-%d" % (round_, rng.randrange(10**6))
                db.put(key, value)
                expected[key] = value
        db.flush()
    ordered = sorted(expected.items())
    assert list(db) == ordered
    assert list(db.iterator(reverse=True)) == ordered[::-1]
    assert list(db.iterator(start=b"0300", stop=b"0600")) == [
        kv for kv in ordered if b"0300" <= kv[0] < b"0600"]



def _plyvel():
    try:
        import plyvel as module
    except ImportError:
        pytest.skip("python3-plyvel is not installed")
    return module


def _run(it, ops):
    out = []
    for op, arg in ops:
        try:
            if op == "next":
                out.append(next(it))
            elif op == "prev":
                out.append(it.prev())
            elif op == "seek":
                it.seek(arg)
                out.append("seek")
            elif op == "start":
                it.seek_to_start()
                out.append("start")
            else:
                it.seek_to_stop()
                out.append("stop")
        except StopIteration:
            out.append("StopIteration")
    return out


def test_range_of_one_key(abcd):
    it = abcd.iterator(start=b"b", stop=b"bz", include_value=False)
    assert next(it) == b"b"
    with pytest.raises(StopIteration):
        next(it)
    assert it.prev() == b"b"
    with pytest.raises(StopIteration):
        it.prev()
    assert list(abcd.iterator(start=b"b", stop=b"bz", reverse=True)) == [(b"b", b"B")]
    assert list(abcd.iterator(start=b"b", stop=b"b", include_stop=True, reverse=True,
                              include_value=False)) == [b"b"]


def test_seek_stays_in_range(keys_db):
    # Where plyvel 1.5 differs: each of these returns a key outside the range there, or skips
    # the included stop key.
    it = keys_db.iterator(prefix=b"\xff", reverse=True, include_value=False)
    it.seek(b"b\x00")
    with pytest.raises(StopIteration):
        next(it)
    assert it.prev() == b"\xff"
    it = keys_db.iterator(start=b"b", include_start=False, reverse=True, include_value=False)
    it.seek(b"b\xff")
    with pytest.raises(StopIteration):
        next(it)  # b"b" is below the cursor but outside the range
    it = keys_db.iterator(start=b"a", stop=b"b", include_stop=True, reverse=True,
                          include_value=False)
    it.seek(b"b\xff")
    assert next(it) == b"b"  # the included stop key


def test_same_cursor_moves_as_plyvel(tmp_path):
    plyvel_module = _plyvel()
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    ours = ziggydb.DB(str(tmp_path / "ours"), create_if_missing=True)
    theirs = plyvel_module.DB(str(tmp_path / "theirs"), create_if_missing=True)
    for key in KEYS:
        ours.put(key, b"v" + key)
        theirs.put(key, b"v" + key)
    probes = KEYS + [b"0", b"a\x00\x00", b"b\x00", b"bz", b"\xff\xff\xff"]
    for _ in range(300):
        kwargs = {"reverse": rng.random() < 0.5, "include_value": rng.random() < 0.5}
        if rng.random() < 0.3:
            kwargs["prefix"] = rng.choice([b"a", b"b", b"b\xff", b"\xff", b"", b"q"])
        else:
            if rng.random() < 0.6:
                kwargs["start"] = rng.choice(probes)
            if rng.random() < 0.6:
                kwargs["stop"] = rng.choice(probes)
            kwargs["include_start"] = rng.random() < 0.5
            kwargs["include_stop"] = rng.random() < 0.5
        # Seeks are left out: plyvel's seek lets the cursor leave the range (after a seek
        # outside it or near a bound, next or prev can return keys outside the range or skip an
        # included stop key; test_seek_stays_in_range). ZiggyDB keeps the cursor in the range.
        ops = [(rng.choice(["next", "next", "prev", "start", "stop"]), None) for _ in range(12)]
        in_range = list(ours.iterator(**dict(kwargs, reverse=False, include_value=False)))
        if len(in_range) == 1:
            # plyvel 1.5.0 mishandles a range holding exactly one key: reversed it yields
            # nothing, and forward prev() does not return to the key
            # (test_range_of_one_key); ZiggyDB treats it as any other range.
            continue
        expected = _run(theirs.iterator(**kwargs), ops)
        actual = _run(ours.iterator(**kwargs), ops)
        assert actual == expected, (kwargs, ops)
    ours.close()
    theirs.close()
