// Portable CRC-32C (slicing-by-8) and the once-per-process choice of implementation.
#include "util/crc32c.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "util/assert.h"
#include "util/coding.h"
#include "util/crc32c_internal.h"

namespace ziggydb::crc32c {
namespace internal {
namespace {

using SliceTables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0][b]: CRC register after feeding byte b into a zero register. tables[k][b]: the same
// byte followed by k zero bytes, so eight table lookups advance the register by eight bytes.
constexpr SliceTables MakeSliceTables() {
  SliceTables tables{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1u) != 0 ? (crc >> 1) ^ kReflectedPoly : crc >> 1;
    tables[0][b] = crc;
  }
  for (size_t k = 1; k < tables.size(); ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      const uint32_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xffu];
    }
  }
  return tables;
}

constexpr SliceTables kTables = MakeSliceTables();
static_assert(kTables[0][0] == 0, "a zero byte leaves a zero register unchanged");
static_assert(kTables[0][0x80] == kReflectedPoly, "byte 0x80 is x^7: one reduction");

static_assert(MultiplyMod(XPowMod(40), XPowMod(29)) == XPowMod(69));
static_assert(MultiplyMod(XPowMod(0), 0x12345678u) == 0x12345678u);

}  // namespace

uint32_t ExtendSoftware(uint32_t crc, const char* data, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint32_t reg = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    const uint64_t word = DecodeFixed64(reinterpret_cast<const char*>(p)) ^ reg;
    reg = kTables[7][word & 0xff] ^ kTables[6][(word >> 8) & 0xff] ^
          kTables[5][(word >> 16) & 0xff] ^ kTables[4][(word >> 24) & 0xff] ^
          kTables[3][(word >> 32) & 0xff] ^ kTables[2][(word >> 40) & 0xff] ^
          kTables[1][(word >> 48) & 0xff] ^ kTables[0][word >> 56];
  }
  for (; n > 0; --n, ++p)
    reg = (reg >> 8) ^ kTables[0][(reg ^ *p) & 0xffu];
  return ~reg;
}

}  // namespace internal

namespace {

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

struct Entry {
  Implementation impl;
  const char* name;
  ExtendFn fn;
};

// Index = Implementation value. Unavailable paths keep a null fn.
constexpr Entry kEntries[] = {
    {Implementation::kSoftware, "software", &internal::ExtendSoftware},
#if defined(__x86_64__)
    {Implementation::kSse42, "sse4.2", &internal::ExtendSse42},
    {Implementation::kAvx512, "avx512-vpclmul", &internal::ExtendAvx512},
#else
    {Implementation::kSse42, "sse4.2", nullptr},
    {Implementation::kAvx512, "avx512-vpclmul", nullptr},
#endif
#if defined(__aarch64__)
    {Implementation::kArmCrc, "armv8-crc", &internal::ExtendArmCrc},
#else
    {Implementation::kArmCrc, "armv8-crc", nullptr},
#endif
};
constexpr size_t kNumEntries = sizeof(kEntries) / sizeof(kEntries[0]);

const Entry& EntryFor(Implementation impl) {
  const auto index = static_cast<size_t>(impl);
  ZIGGY_ASSERT(index < kNumEntries);
  ZIGGY_ASSERT(kEntries[index].impl == impl);
  return kEntries[index];
}

// Null until the first Extend (or ForceImplementationForTesting). Points into kEntries, which is
// constant, so relaxed ordering would do; acquire/release documents the publication anyway.
std::atomic<const Entry*> g_active{nullptr};

const Entry* SelectBest() {
  if (const char* requested = std::getenv("ZIGGY_CRC32C"); requested != nullptr) {
    for (const Entry& entry : kEntries) {
      if (std::strcmp(requested, entry.name) == 0 && IsAvailable(entry.impl)) return &entry;
    }
    // An unknown or unavailable name falls through to the automatic choice.
  }
  for (Implementation impl :
       {Implementation::kAvx512, Implementation::kSse42, Implementation::kArmCrc}) {
    if (IsAvailable(impl)) return &EntryFor(impl);
  }
  return &EntryFor(Implementation::kSoftware);
}

const Entry* Active() {
  const Entry* entry = g_active.load(std::memory_order_acquire);
  if (entry == nullptr) [[unlikely]] {
    // Racing first callers each compute the same answer; whichever store lands is equivalent.
    entry = SelectBest();
    g_active.store(entry, std::memory_order_release);
  }
  return entry;
}

}  // namespace

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
  return Active()->fn(crc, data, n);
}

const char* ImplementationName(Implementation impl) {
  return EntryFor(impl).name;
}

namespace {

bool DetectAvailable(Implementation impl) {
  switch (impl) {
    case Implementation::kSoftware:
      return true;
#if defined(__x86_64__)
    case Implementation::kSse42:
      return internal::Sse42Supported();
    case Implementation::kAvx512:
      return internal::Avx512Supported();
#endif
#if defined(__aarch64__)
    case Implementation::kArmCrc:
      return internal::ArmCrcSupported();
#endif
    default:
      return false;
  }
}

}  // namespace

bool IsAvailable(Implementation impl) {
  // Detected once (thread-safe static initialisation); the CPU does not change under us.
  static const std::array<bool, kNumEntries> available = [] {
    std::array<bool, kNumEntries> result{};
    for (size_t i = 0; i < kNumEntries; ++i)
      result[i] = DetectAvailable(kEntries[i].impl);
    return result;
  }();
  const auto index = static_cast<size_t>(impl);
  return index < kNumEntries && available[index];
}

std::vector<Implementation> AvailableImplementations() {
  std::vector<Implementation> result;
  for (const Entry& entry : kEntries) {
    if (IsAvailable(entry.impl)) result.push_back(entry.impl);
  }
  return result;
}

Implementation ActiveImplementation() {
  return Active()->impl;
}

void ForceImplementationForTesting(Implementation impl) {
  ZIGGY_ASSERT(IsAvailable(impl));
  g_active.store(&EntryFor(impl), std::memory_order_release);
}

uint32_t ExtendWith(Implementation impl, uint32_t crc, const char* data, size_t n) {
  ZIGGY_ASSERT(IsAvailable(impl));
  return EntryFor(impl).fn(crc, data, n);
}

}  // namespace ziggydb::crc32c
