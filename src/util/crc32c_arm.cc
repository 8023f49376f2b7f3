// ARMv8 CRC-32C path: the CRC32C{B,D} instructions, three interleaved streams over long blocks
// (the instruction's latency exceeds its issue interval, as on x86) joined by a table-free
// multiply modulo P. Compiled only for AArch64; the instructions run only after the hardware
// capability check at selection.
#if defined(__aarch64__)

#include <arm_acle.h>

#include <cstring>

#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

#include "util/crc32c_internal.h"

#if defined(__ARM_FEATURE_CRC32)
#define ZIGGY_TARGET_ARM_CRC
#elif defined(__clang__)
#define ZIGGY_TARGET_ARM_CRC __attribute__((target("crc")))
#else
#define ZIGGY_TARGET_ARM_CRC __attribute__((target("+crc")))
#endif

// Older clang declares the ACLE names only when the whole build targets +crc; its builtins work
// under a function target attribute too.
#if defined(__clang__) && !defined(__ARM_FEATURE_CRC32)
#define ZIGGY_CRC32CB __builtin_arm_crc32cb
#define ZIGGY_CRC32CD __builtin_arm_crc32cd
#else
#define ZIGGY_CRC32CB __crc32cb
#define ZIGGY_CRC32CD __crc32cd
#endif

namespace ziggydb::crc32c::internal {
namespace {

// Bytes per stream; a multiple of 8. The join costs ~64 simple operations, noise next to this.
constexpr size_t kBlockBytes = 4096;
constexpr uint32_t kBlockShift = XPowMod(8 * kBlockBytes);

inline uint64_t Load64(const char* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

}  // namespace

bool ArmCrcSupported() {
#if defined(__ARM_FEATURE_CRC32)
  return true;
#elif defined(__linux__)
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#else
  return false;
#endif
}

ZIGGY_TARGET_ARM_CRC uint32_t ExtendArmCrc(uint32_t crc, const char* data, size_t n) {
  uint32_t reg = ~crc;
  for (; n > 0 && (reinterpret_cast<uintptr_t>(data) & 7) != 0; --n, ++data)
    reg = ZIGGY_CRC32CB(reg, static_cast<uint8_t>(*data));
  for (; n >= 3 * kBlockBytes; n -= 3 * kBlockBytes, data += 3 * kBlockBytes) {
    uint32_t reg0 = reg, reg1 = 0, reg2 = 0;
    for (size_t i = 0; i < kBlockBytes; i += 8) {
      reg0 = ZIGGY_CRC32CD(reg0, Load64(data + i));
      reg1 = ZIGGY_CRC32CD(reg1, Load64(data + kBlockBytes + i));
      reg2 = ZIGGY_CRC32CD(reg2, Load64(data + 2 * kBlockBytes + i));
    }
    reg = MultiplyMod(reg0, kBlockShift) ^ reg1;
    reg = MultiplyMod(reg, kBlockShift) ^ reg2;
  }
  for (; n >= 8; n -= 8, data += 8)
    reg = ZIGGY_CRC32CD(reg, Load64(data));
  for (; n > 0; --n, ++data)
    reg = ZIGGY_CRC32CB(reg, static_cast<uint8_t>(*data));
  return ~reg;
}

}  // namespace ziggydb::crc32c::internal

#endif  // defined(__aarch64__)
