// x86-64 CRC-32C paths. Each function carries its own target attribute, so this file compiles
// for the baseline ISA and the instructions run only after the CPU was checked at selection.
//
// Arithmetic (all modulo P, the CRC-32C polynomial, bit-reflected as in crc32c_internal.h):
//  - The raw register after a message M with initial register r is r*x^|M| + M*x^32 mod P, so
//    XOR-ing r into the first four bytes of M and starting from zero gives the same register.
//  - PCLMULQDQ on two reflected 64-bit operands representing polynomials p and q yields, in the
//    reflected 128-bit order (bit k = coefficient of x^(127-k)), the product p*q*x. Every
//    constant below therefore carries one power of x less than the shift it implements.
//  - The crc32 instruction over 8 bytes from a zero register maps a 64-bit value W to W*x^32.
#if defined(__x86_64__)

#include <immintrin.h>

#include <cstring>

#include "util/crc32c_internal.h"

namespace ziggydb::crc32c::internal {
namespace {

#define ZIGGY_TARGET_SSE42 __attribute__((target("sse4.2,pclmul")))
#define ZIGGY_TARGET_AVX512 \
  __attribute__((target("sse4.2,pclmul,avx2,avx512f,avx512vl,vpclmulqdq")))

// Bytes per stream in the 3-stream loops: long blocks amortise the join, short ones serve
// medium buffers. Both multiples of 8.
constexpr size_t kLongBlockBytes = 4096;
constexpr size_t kShortBlockBytes = 256;

// Multiplier that advances a 32-bit register over `bytes` zero bytes via Shift() below:
// x^(8*bytes - 33), the -32 undoing the crc32 instruction's x^32 and the -1 PCLMULQDQ's x.
consteval uint32_t ShiftConstant(size_t bytes) {
  return XPowMod(static_cast<uint32_t>(8 * bytes - 33));
}
constexpr uint32_t kLongShift = ShiftConstant(kLongBlockBytes);
constexpr uint32_t kShortShift = ShiftConstant(kShortBlockBytes);

// Folding constants for a 128-bit lane moved `bits` forward: the low qword (coefficients
// x^127..x^64) needs x^(bits+64), the high qword x^bits, each minus PCLMULQDQ's x; stored in the
// upper half of the 64-bit operand so the reflected product lands inside 128 bits.
consteval uint64_t FoldLow(uint32_t bits) {
  return uint64_t{XPowMod(bits + 63)} << 32;
}
consteval uint64_t FoldHigh(uint32_t bits) {
  return uint64_t{XPowMod(bits - 1)} << 32;
}

inline uint64_t Load64(const char* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

// reg * x^(8*bytes) mod P, where constant == ShiftConstant(bytes).
ZIGGY_TARGET_SSE42 inline uint32_t Shift(uint32_t reg, uint32_t constant) {
  const __m128i product = _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(reg)),
                                               _mm_cvtsi32_si128(static_cast<int>(constant)), 0);
  return static_cast<uint32_t>(_mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(product))));
}

// Consumes as many groups of 3 * block_bytes as fit. The crc32 instruction has a latency of ~3
// cycles but issues every cycle, so three independent streams keep it busy; stream results are
// joined by shifting the earlier ones past the later blocks.
ZIGGY_TARGET_SSE42 inline uint64_t ThreeStreams(uint64_t reg, const char** data, size_t* n,
                                                size_t block_bytes, uint32_t shift) {
  const char* p = *data;
  size_t left = *n;
  for (; left >= 3 * block_bytes; left -= 3 * block_bytes, p += 3 * block_bytes) {
    uint64_t reg0 = reg, reg1 = 0, reg2 = 0;
    for (size_t i = 0; i < block_bytes; i += 8) {
      reg0 = _mm_crc32_u64(reg0, Load64(p + i));
      reg1 = _mm_crc32_u64(reg1, Load64(p + block_bytes + i));
      reg2 = _mm_crc32_u64(reg2, Load64(p + 2 * block_bytes + i));
    }
    reg = Shift(static_cast<uint32_t>(reg0), shift) ^ reg1;
    reg = Shift(static_cast<uint32_t>(reg), shift) ^ reg2;
  }
  *data = p;
  *n = left;
  return reg;
}

// Advances a 128-bit lane by 128 bits and adds the next 16 bytes.
ZIGGY_TARGET_SSE42 inline __m128i Fold128(__m128i lane, __m128i constants, __m128i next) {
  const __m128i low = _mm_clmulepi64_si128(lane, constants, 0x00);
  const __m128i high = _mm_clmulepi64_si128(lane, constants, 0x11);
  return _mm_xor_si128(_mm_xor_si128(low, high), next);
}

// Same per 128-bit lane of a 512-bit vector (ternary-logic 0x96 = three-way XOR).
ZIGGY_TARGET_AVX512 inline __m512i Fold512(__m512i lanes, __m512i constants, __m512i next) {
  const __m512i low = _mm512_clmulepi64_epi128(lanes, constants, 0x00);
  const __m512i high = _mm512_clmulepi64_epi128(lanes, constants, 0x11);
  return _mm512_ternarylogic_epi64(low, high, next, 0x96);
}

ZIGGY_TARGET_AVX512 inline __m512i Load512(const char* p) {
  return _mm512_loadu_si512(p);
}

// 128-bit lane kIndex. The zero-masked form: GCC 12's plain extract trips -Wmaybe-uninitialized
// on its own internals.
template <int kIndex>
ZIGGY_TARGET_AVX512 inline __m128i Lane(__m512i vector) {
  return _mm512_maskz_extracti32x4_epi32(0xf, vector, kIndex);
}

// Folds four 128-bit lanes (in message order) into one, then the remaining 16-byte blocks.
ZIGGY_TARGET_AVX512 inline __m128i ReduceTo128(__m512i acc, const char** data, size_t* n) {
  // Lane i sits 128*(3-i) bits before the last lane; the last lane gets zero constants and is
  // added back unshifted.
  const __m512i constants = _mm512_set_epi64(
      0, 0, static_cast<long long>(FoldHigh(128)), static_cast<long long>(FoldLow(128)),
      static_cast<long long>(FoldHigh(256)), static_cast<long long>(FoldLow(256)),
      static_cast<long long>(FoldHigh(384)), static_cast<long long>(FoldLow(384)));
  const __m512i shifted = Fold512(acc, constants, _mm512_setzero_si512());
  __m128i lane = Lane<3>(acc);
  lane = _mm_ternarylogic_epi64(lane, Lane<0>(shifted), Lane<1>(shifted), 0x96);
  lane = _mm_ternarylogic_epi64(lane, Lane<2>(shifted), Lane<3>(shifted), 0x96);
  const __m128i fold16 =
      _mm_set_epi64x(static_cast<long long>(FoldHigh(128)), static_cast<long long>(FoldLow(128)));
  for (; *n >= 16; *n -= 16, *data += 16)
    lane = Fold128(lane, fold16, _mm_loadu_si128(reinterpret_cast<const __m128i*>(*data)));
  return lane;
}

}  // namespace

bool Sse42Supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
}

bool Avx512Supported() {
  // libgcc reports AVX-512 features only when the OS saves the ZMM state (XCR0).
  return Sse42Supported() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq");
}

ZIGGY_TARGET_SSE42 uint32_t ExtendSse42(uint32_t crc, const char* data, size_t n) {
  uint64_t reg = ~crc;
  // Byte steps up to 8-byte alignment so the word loads do not straddle cache lines.
  for (; n > 0 && (reinterpret_cast<uintptr_t>(data) & 7) != 0; --n, ++data)
    reg = _mm_crc32_u8(static_cast<uint32_t>(reg), static_cast<unsigned char>(*data));
  reg = ThreeStreams(reg, &data, &n, kLongBlockBytes, kLongShift);
  reg = ThreeStreams(reg, &data, &n, kShortBlockBytes, kShortShift);
  for (; n >= 8; n -= 8, data += 8)
    reg = _mm_crc32_u64(reg, Load64(data));
  for (; n > 0; --n, ++data)
    reg = _mm_crc32_u8(static_cast<uint32_t>(reg), static_cast<unsigned char>(*data));
  return ~static_cast<uint32_t>(reg);
}

// Four 512-bit accumulators (16 lanes of 128 bits) cover 256 consecutive bytes; each step
// advances every lane by 256 bytes and adds the next 256. The folded remainder is congruent to
// the whole message, so the crc32 instruction over its 16 bytes finishes the job.
ZIGGY_TARGET_AVX512 uint32_t ExtendAvx512(uint32_t crc, const char* data, size_t n) {
  constexpr size_t kStepBytes = 256;
  if (n < kStepBytes) return ExtendSse42(crc, data, n);
  __m512i acc0 = _mm512_xor_si512(
      Load512(data), _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(~crc))));
  __m512i acc1 = Load512(data + 64);
  __m512i acc2 = Load512(data + 128);
  __m512i acc3 = Load512(data + 192);
  data += kStepBytes;
  n -= kStepBytes;
  const __m512i fold256 = _mm512_set_epi64(
      static_cast<long long>(FoldHigh(2048)), static_cast<long long>(FoldLow(2048)),
      static_cast<long long>(FoldHigh(2048)), static_cast<long long>(FoldLow(2048)),
      static_cast<long long>(FoldHigh(2048)), static_cast<long long>(FoldLow(2048)),
      static_cast<long long>(FoldHigh(2048)), static_cast<long long>(FoldLow(2048)));
  for (; n >= kStepBytes; n -= kStepBytes, data += kStepBytes) {
    acc0 = Fold512(acc0, fold256, Load512(data));
    acc1 = Fold512(acc1, fold256, Load512(data + 64));
    acc2 = Fold512(acc2, fold256, Load512(data + 128));
    acc3 = Fold512(acc3, fold256, Load512(data + 192));
  }
  const __m512i fold64 =
      _mm512_set_epi64(static_cast<long long>(FoldHigh(512)), static_cast<long long>(FoldLow(512)),
                       static_cast<long long>(FoldHigh(512)), static_cast<long long>(FoldLow(512)),
                       static_cast<long long>(FoldHigh(512)), static_cast<long long>(FoldLow(512)),
                       static_cast<long long>(FoldHigh(512)), static_cast<long long>(FoldLow(512)));
  __m512i acc = Fold512(Fold512(Fold512(acc0, fold64, acc1), fold64, acc2), fold64, acc3);
  for (; n >= 64; n -= 64, data += 64)
    acc = Fold512(acc, fold64, Load512(data));
  const __m128i lane = ReduceTo128(acc, &data, &n);
  uint64_t reg = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(lane)));
  reg = _mm_crc32_u64(reg, static_cast<uint64_t>(_mm_extract_epi64(lane, 1)));
  return ExtendSse42(~static_cast<uint32_t>(reg), data, n);
}

}  // namespace ziggydb::crc32c::internal

#endif  // defined(__x86_64__)
