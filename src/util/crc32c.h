// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of every
// on-disk record and block. Conventions are the iSCSI ones (RFC 3720): the register starts at
// all ones and the result is inverted, so Value("123456789") == 0xE3069283.
//
// Several implementations compute the same function; one is chosen once, on first use, from what
// the CPU supports (the fastest available), unless $ZIGGY_CRC32C names another (read at that
// moment; e.g. ZIGGY_CRC32C=software). Selection is thread-safe and every function here may be
// called concurrently from any thread.
#ifndef ZIGGYDB_UTIL_CRC32C_H_
#define ZIGGYDB_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ziggydb::crc32c {

// CRC of data[0, n) continuing from `crc`, the CRC of some preceding bytes A:
// Extend(Value(A), B) == Value(A followed by B). Extend(0, d, n) == Value(d, n).
uint32_t Extend(uint32_t crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) {
  return Extend(0, data, n);
}

// A CRC stored in the bytes it protects (or in bytes that a later CRC covers) is masked first.
// The CRC of a message followed by its own CRC is the same constant for every message, so an
// unmasked checksum embedded in checksummed data makes that outer check blind to a whole class
// of corruption (e.g. a record replaced by any other well-formed record). Masking — rotate right
// by 15 bits, then add a constant — breaks that algebra while staying a bijection.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}
inline uint32_t Unmask(uint32_t masked) {
  const uint32_t rotated = masked - kMaskDelta;
  return (rotated >> 17) | (rotated << 15);
}

// Not persisted: names a code path, for tests, benchmarks and diagnostics only.
enum class Implementation : uint8_t {
  kSoftware = 0,  // portable slicing-by-8 tables, every platform
  kSse42 = 1,     // x86-64 crc32 instruction, 3 interleaved streams joined with PCLMULQDQ
  kAvx512 = 2,    // x86-64 AVX-512 VPCLMULQDQ folding, 256 bytes a step (kSse42 for short inputs)
  kArmCrc = 3,    // ARMv8 CRC32C instructions
};

// "software", "sse4.2", "avx512-vpclmul", "armv8-crc" — also the values $ZIGGY_CRC32C accepts.
const char* ImplementationName(Implementation impl);
// Whether impl can run on this CPU (and was compiled in).
bool IsAvailable(Implementation impl);
// Every available implementation, kSoftware first.
std::vector<Implementation> AvailableImplementations();
// The implementation Extend uses now (selecting it if none is yet).
Implementation ActiveImplementation();
// Makes every later Extend use impl. Precondition: IsAvailable(impl). Tests and benchmarks only;
// calls racing with Extend are safe but each Extend may use either implementation.
void ForceImplementationForTesting(Implementation impl);

// Each implementation directly, bypassing selection. Precondition: IsAvailable(impl).
uint32_t ExtendWith(Implementation impl, uint32_t crc, const char* data, size_t n);

}  // namespace ziggydb::crc32c

#endif  // ZIGGYDB_UTIL_CRC32C_H_
