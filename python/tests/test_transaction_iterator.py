"""A transaction's iterator sees the transaction's writes made while it is open from its next move
on (include/ziggydb/transaction.h), and a serializable transaction's iterator records only the
ranges it traversed: it reads no entry ahead of the one it returns."""

import hypothesis.strategies as st
from hypothesis import given, settings

import ziggydb


def _txn_with(db, keys):
    txn = db.transaction()
    for key in keys:
        txn.put(key, key.upper())
    return txn


def test_delete_after_a_step_hides_the_next_key(db):
    txn = _txn_with(db, [b"a", b"b", b"c"])
    it = txn.iterator(include_value=False)
    assert next(it) == b"a"
    txn.delete(b"b")
    assert next(it) == b"c"
    assert list(it) == []
    txn.rollback()


def test_put_after_a_step_shows_at_the_next_step(db):
    txn = _txn_with(db, [b"a", b"c"])
    it = txn.iterator()
    assert next(it) == (b"a", b"A")
    txn.put(b"b", b"new")
    txn.put(b"c", b"changed")
    assert list(it) == [(b"b", b"new"), (b"c", b"changed")]
    txn.rollback()


def test_reverse_and_prev_see_writes(db):
    txn = _txn_with(db, [b"a", b"b", b"c", b"d"])
    it = txn.iterator(reverse=True, include_value=False)
    assert next(it) == b"d"
    txn.delete(b"c")
    assert next(it) == b"b"
    txn.put(b"bb", b"x")
    assert it.prev() == b"b"  # back up over b (reverse: prev moves up)
    assert it.prev() == b"bb"
    it.seek(b"c")
    txn.delete(b"bb")
    assert next(it) == b"b"
    txn.rollback()


def test_seek_then_write_then_step(db):
    txn = _txn_with(db, [b"a", b"b", b"c"])
    it = txn.iterator(include_value=False)
    it.seek(b"b")
    txn.delete(b"b")
    assert next(it) == b"c"
    it.seek(b"b")
    txn.put(b"b", b"B")
    assert it.prev() == b"a"
    assert next(it) == b"a"
    assert next(it) == b"b"
    txn.rollback()


def test_serializable_iterator_records_only_what_it_returned(db):
    for key in (b"a", b"b", b"c", b"d", b"e"):
        db.put(key, b"v")
    txn = db.transaction(isolation="serializable")
    it = txn.iterator(include_value=False)
    assert [next(it), next(it)] == [b"a", b"b"]
    db.put(b"c", b"written by another")  # beyond what the iterator read
    db.put(b"e", b"written by another")
    txn.put(b"x", b"y")
    txn.commit()  # no conflict: the transaction never read c or e
    assert db.get(b"x") == b"y"


def test_serializable_iterator_still_conflicts_on_what_it_read(db):
    for key in (b"a", b"b", b"c"):
        db.put(key, b"v")
    txn = db.transaction(isolation="serializable")
    it = txn.iterator(include_value=False)
    assert [next(it), next(it)] == [b"a", b"b"]
    db.put(b"b", b"written by another")
    txn.put(b"x", b"y")
    try:
        txn.commit()
    except ziggydb.Busy:
        pass
    else:
        raise AssertionError("a write to a key the iterator returned must conflict")


# A model of the cursor: between entries, as ("low",), ("high",), ("after", key) or
# ("before", key), whatever the entries now are.
def _model_up(view, cursor):
    kind = cursor[0]
    if kind == "high":
        return None, cursor
    keys = sorted(view)
    if kind == "after":
        keys = [k for k in keys if k > cursor[1]]
    elif kind == "before":
        keys = [k for k in keys if k >= cursor[1]]
    if not keys:
        return None, ("high",)
    return keys[0], ("after", keys[0])


def _model_down(view, cursor):
    kind = cursor[0]
    if kind == "low":
        return None, cursor
    keys = sorted(view)
    if kind == "after":
        keys = [k for k in keys if k <= cursor[1]]
    elif kind == "before":
        keys = [k for k in keys if k < cursor[1]]
    if not keys:
        return None, ("low",)
    return keys[-1], ("before", keys[-1])


_small_keys = st.sampled_from([b"", b"a", b"ab", b"b", b"ba", b"c", b"cc"])
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), _small_keys),
        st.tuples(st.just("delete"), _small_keys),
        st.tuples(st.just("next"), st.none()),
        st.tuples(st.just("prev"), st.none()),
        st.tuples(st.just("seek"), _small_keys),
        st.tuples(st.just("seek_to_start"), st.none()),
        st.tuples(st.just("seek_to_stop"), st.none()),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(initial=st.sets(_small_keys), ops=_ops, reverse=st.booleans())
def test_cursor_moves_agree_with_a_model(tmp_path_factory, initial, ops, reverse):
    path = str(tmp_path_factory.mktemp("txn-iterator") / "db")
    with ziggydb.DB(path, create_if_missing=True) as db:
        for key in initial:
            db.put(key, b"v")
        view = set(initial)
        txn = db.transaction()
        it = txn.iterator(reverse=reverse, include_value=False)
        cursor = ("high",) if reverse else ("low",)
        for op, key in ops:
            if op == "put":
                txn.put(key, b"w")
                view.add(key)
            elif op == "delete":
                txn.delete(key)
                view.discard(key)
            elif op in ("next", "prev"):
                up = (op == "next") != reverse
                expected, cursor = (_model_up if up else _model_down)(view, cursor)
                step = (lambda: next(it)) if op == "next" else it.prev
                try:
                    got = step()
                except StopIteration:
                    got = None
                assert got == expected, (op, cursor)
            elif op == "seek":
                it.seek(key)
                cursor = ("before", key)
            elif op == "seek_to_start":
                it.seek_to_start()
                cursor = ("low",)
            else:
                it.seek_to_stop()
                cursor = ("high",)
        it.close()
        txn.rollback()
