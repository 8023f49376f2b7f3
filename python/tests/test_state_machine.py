"""A hypothesis state machine: random sequences of puts, deletes, batches, snapshots, iterations,
flushes and reopenings applied to a DB and to a dict must agree at every step."""

import shutil
import tempfile

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import ziggydb

keys = st.binary(min_size=0, max_size=6)
values = st.binary(min_size=0, max_size=40)


class DBAgainstDict(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.path = tempfile.mkdtemp(prefix="ziggydb-hypothesis-")
        self.db = ziggydb.DB(self.path, create_if_missing=True, write_buffer_size=64 << 10)
        self.model = {}
        self.snapshots = []  # (snapshot, copy of the model when it was taken)

    def teardown(self):
        for snapshot, _ in self.snapshots:
            snapshot.close()
        self.db.close()
        shutil.rmtree(self.path, ignore_errors=True)

    @rule(key=keys, value=values)
    def put(self, key, value):
        self.db.put(key, value)
        self.model[key] = value

    @rule(key=keys)
    def delete(self, key):
        self.db.delete(key)
        self.model.pop(key, None)

    @rule(key=keys, value=values)
    def set_item(self, key, value):
        self.db[key] = value
        self.model[key] = value

    @rule(updates=st.lists(st.tuples(keys, st.one_of(st.none(), values)), max_size=8))
    def batch(self, updates):
        with self.db.write_batch() as batch:
            for key, value in updates:
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)
        for key, value in updates:
            if value is None:
                self.model.pop(key, None)
            else:
                self.model[key] = value

    @rule(updates=st.lists(st.tuples(keys, st.one_of(st.none(), values)), max_size=6),
          commit=st.booleans())
    def transaction(self, updates, commit):
        txn = self.db.transaction()
        view = dict(self.model)
        for key, value in updates:
            if value is None:
                txn.delete(key)
                view.pop(key, None)
            else:
                txn.put(key, value)
                view[key] = value
        assert list(txn.iterator()) == sorted(view.items())  # its own writes merged in
        if commit:
            txn.commit()
            self.model = view
        else:
            txn.rollback()

    @rule(key=keys)
    def get(self, key):
        assert self.db.get(key) == self.model.get(key)
        assert (key in self.db) == (key in self.model)

    @rule(start=st.one_of(st.none(), keys), stop=st.one_of(st.none(), keys),
          reverse=st.booleans())
    def scan(self, start, stop, reverse):
        expected = sorted(
            (k, v) for k, v in self.model.items()
            if (start is None or k >= start) and (stop is None or k < stop))
        if reverse:
            expected.reverse()
        assert list(self.db.iterator(start=start, stop=stop, reverse=reverse)) == expected

    @rule(prefix=st.binary(max_size=2))
    def scan_prefix(self, prefix):
        expected = sorted(k for k in self.model if k.startswith(prefix))
        assert list(self.db.iterator(prefix=prefix, include_value=False)) == expected

    @precondition(lambda self: len(self.snapshots) < 3)
    @rule()
    def take_snapshot(self):
        self.snapshots.append((self.db.snapshot(), dict(self.model)))

    @precondition(lambda self: self.snapshots)
    @rule(key=keys)
    def read_snapshot(self, key):
        for snapshot, model in self.snapshots:
            assert snapshot.get(key) == model.get(key)
            assert list(snapshot.iterator()) == sorted(model.items())

    @rule()
    def flush(self):
        self.db.flush()

    @rule()
    def reopen(self):
        for snapshot, _ in self.snapshots:
            snapshot.close()
        self.snapshots = []
        self.db.close()
        self.db = ziggydb.DB(self.path, write_buffer_size=64 << 10)

    @invariant()
    def size_agrees(self):
        assert sum(1 for _ in self.db.iterator(include_value=False)) == len(self.model)


DBAgainstDict.TestCase.settings = settings(max_examples=20, stateful_step_count=25,
                                           deadline=None)
TestDBAgainstDict = DBAgainstDict.TestCase
