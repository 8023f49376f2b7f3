# Third-party dependencies, all from Debian packages (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)

# Compression and hashing libraries the engine links privately.
find_library(ZIGGY_ZSTD_LIB zstd REQUIRED)
find_library(ZIGGY_LZ4_LIB lz4 REQUIRED)
find_library(ZIGGY_SNAPPY_LIB snappy REQUIRED)
find_library(ZIGGY_XXHASH_LIB xxhash REQUIRED)

if(ZIGGY_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(rapidcheck REQUIRED)
endif()
if(ZIGGY_BUILD_TOOLS)
  find_package(CLI11 REQUIRED)
endif()
# The tools, and the fuzz target of the tools' properties-file parser (fuzz/, tests or ZIGGY_FUZZ).
if(ZIGGY_BUILD_TOOLS OR ZIGGY_BUILD_TESTS OR ZIGGY_FUZZ)
  find_package(fmt REQUIRED)
endif()
if(ZIGGY_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
