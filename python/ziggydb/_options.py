"""The keyword arguments of ziggydb.DB mapped onto ZiggyDB's option names.

plyvel's (LevelDB's) names are accepted with LevelDB's meaning; ZiggyDB's own names (the fields
of ziggydb::Options, include/ziggydb/options.h) are accepted too. Naming one option both ways
is a TypeError. Options LevelDB has and ZiggyDB lacks raise NotSupported.
"""

from ._ziggydb import NotSupported

# plyvel keyword -> ZiggyDB option of the same meaning.
PLYVEL_NAMES = {
    "write_buffer_size": "memtable_bytes",
    "lru_cache_size": "block_cache_bytes",
    "max_file_size": "target_file_size",
    "bloom_filter_bits": "bloom_bits_per_key",
}


def engine_options(plyvel_options, ziggydb_options):
    """Returns the dict of ZiggyDB option names the engine binding takes.

    plyvel_options: the plyvel keywords as given (None meaning "the default");
    ziggydb_options: extra keywords, which must be ZiggyDB option names.
    """
    comparator = plyvel_options.pop("comparator")
    comparator_name = plyvel_options.pop("comparator_name")
    if comparator is not None or comparator_name is not None:
        raise NotSupported(
            "ZiggyDB orders keys bytewise only: a custom comparator is not supported")
    cache = plyvel_options.get("lru_cache_size")
    if cache is not None and (not isinstance(cache, int) or isinstance(cache, bool)):
        raise NotSupported(
            "lru_cache_size is a number of bytes; ZiggyDB takes no cache object "
            f"(got {type(cache).__name__})")
    options = {}
    for name, value in plyvel_options.items():
        options[PLYVEL_NAMES.get(name, name)] = value
    for name, value in ziggydb_options.items():
        plyvel = _PLYVEL_NAME_OF.get(name)
        if plyvel is not None and plyvel_options[plyvel] != PLYVEL_DEFAULTS.get(plyvel):
            raise TypeError(f"option '{name}' given twice (also as '{plyvel}')")
        options[name] = value
    return options


# The defaults of plyvel's signature that are not None; a ZiggyDB name overrides them.
PLYVEL_DEFAULTS = {"bloom_filter_bits": 0}
_PLYVEL_NAME_OF = {ziggydb: plyvel for plyvel, ziggydb in PLYVEL_NAMES.items()}
