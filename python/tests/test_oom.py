"""Running out of memory inside a ziggydb call raises MemoryError and leaves the object usable:
nothing is lost or skipped. Run in a child interpreter whose address space is then capped
(RLIMIT_AS), so that a large copy fails while small allocations still succeed."""

import os
import subprocess
import sys
import textwrap

import pytest

_SANITIZED = "asan" in os.environ.get("LD_PRELOAD", "")

CHILD = textwrap.dedent("""
    import resource, sys
    import ziggydb

    BIG = 64 << 20
    db = ziggydb.DB(sys.argv[1], create_if_missing=True, write_buffer_size=512 << 20)
    db.put(b"a", b"1")
    db.put(b"b", b"2")
    db.put(b"c", b"x" * BIG)
    it = db.iterator()
    assert next(it) == (b"a", b"1")  # reads a ahead, the engine now on b

    def vm_bytes():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    # Room for small allocations, none for another copy of c's value.
    resource.setrlimit(resource.RLIMIT_AS, (vm_bytes() + BIG // 4, resource.RLIM_INFINITY))
    try:
        next(it)  # reads b, then fails copying c
    except MemoryError:
        pass
    else:
        sys.exit("the copy of the big value did not run out of memory")
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    rest = [key for key, _ in it]
    print(rest)
    assert rest == [b"b", b"c"], rest
    it.close()
    db.close()
""")


@pytest.mark.skipif(_SANITIZED, reason="the sanitizers' shadow memory needs an uncapped address space")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")
def test_out_of_memory_during_read_ahead_skips_nothing(tmp_path):
    result = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "db")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
