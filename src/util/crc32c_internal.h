// Shared by the crc32c implementation files: the per-path entry points and the compile-time
// arithmetic modulo the CRC-32C polynomial that their constants come from.
//
// Representation: a polynomial of degree < 32 is held "reflected" in a uint32_t, bit i holding
// the coefficient of x^(31-i); this is the order the bits of a message arrive in (byte 0 first,
// least significant bit first) and the order the crc32 instructions use.
#ifndef ZIGGYDB_UTIL_CRC32C_INTERNAL_H_
#define ZIGGYDB_UTIL_CRC32C_INTERNAL_H_

#include <cstddef>
#include <cstdint>

namespace ziggydb::crc32c::internal {

inline constexpr uint32_t kReflectedPoly = 0x82f63b78u;

// x^exponent mod P, reflected. Compile-time only use (linear in exponent).
consteval uint32_t XPowMod(uint32_t exponent) {
  uint32_t value = 0x80000000u;  // x^0
  for (uint32_t i = 0; i < exponent; ++i)
    value = (value & 1u) != 0 ? (value >> 1) ^ kReflectedPoly : value >> 1;
  return value;
}

// a * b mod P, reflected. Used to join independent streams where no carry-less multiply is used.
constexpr uint32_t MultiplyMod(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t bit = 0x80000000u; bit != 0; bit >>= 1) {  // a's coefficients of x^0, x^1, ...
    if ((a & bit) != 0) product ^= b;
    b = (b & 1u) != 0 ? (b >> 1) ^ kReflectedPoly : b >> 1;  // b *= x
  }
  return product;
}

// Every implementation takes and returns the public (inverted) CRC, like Extend.
uint32_t ExtendSoftware(uint32_t crc, const char* data, size_t n);

#if defined(__x86_64__)
bool Sse42Supported();
bool Avx512Supported();
uint32_t ExtendSse42(uint32_t crc, const char* data, size_t n);
uint32_t ExtendAvx512(uint32_t crc, const char* data, size_t n);
#endif

#if defined(__aarch64__)
bool ArmCrcSupported();
uint32_t ExtendArmCrc(uint32_t crc, const char* data, size_t n);
#endif

}  // namespace ziggydb::crc32c::internal

#endif  // ZIGGYDB_UTIL_CRC32C_INTERNAL_H_
