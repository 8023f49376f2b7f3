"""Crash safety through Python: a forked child writes, the parent kills it with SIGKILL at an
arbitrary point, and every write the child acknowledged is found after reopening."""

import os
import random
import signal

import ziggydb


def _child(path, write_fd, sync):
    # Runs in the forked child: no DB is open in the parent, so no engine thread is lost by fork.
    try:
        db = ziggydb.DB(path, create_if_missing=True, write_buffer_size=256 << 10)
        i = 0
        while True:
            key = b"key-%08d" % i
            db.put(key, b"value-%08d" % i * 4, sync=sync)
            if i % 50 == 0:
                with db.write_batch() as batch:
                    batch.put(b"batch-%08d-a" % i, b"1")
                    batch.put(b"batch-%08d-b" % i, b"2")
            os.write(write_fd, b"%d\n" % i)  # acknowledged
            i += 1
    finally:
        os._exit(1)


def _kill_after(path, acks_min, sync):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(path, write_fd, sync)
    os.close(write_fd)
    acked = -1
    buffer = b""
    while acked < acks_min:
        chunk = os.read(read_fd, 4096)
        assert chunk, "the child died before it was killed"
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        if lines:
            acked = int(lines[-1])
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(read_fd)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return acked


def test_acknowledged_writes_survive_sigkill(tmp_path):
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    path = str(tmp_path / "db")
    acked_total = -1
    for round_ in range(3):
        sync = round_ == 0
        acked = _kill_after(path, acked_total + rng.randrange(200, 3000), sync)
        with ziggydb.DB(path) as db:
            # The child restarts its keys at 0 each round: every key up to the highest
            # acknowledged one of any round must be there, whole.
            acked_total = max(acked_total, acked)
            for i in range(acked_total + 1):
                assert db.get(b"key-%08d" % i) == b"value-%08d" % i * 4, (round_, i)
            for i in range(0, acked_total + 1, 50):
                assert db.get(b"batch-%08d-a" % i) == b"1"
                assert db.get(b"batch-%08d-b" % i) == b"2"
            keys = list(db.iterator(include_value=False))
            assert keys == sorted(keys)
