// Fuzz target for util/coding.h: every fixed-width, varint and length-prefixed decoder.
//
// Each decoder runs on the input from its first byte and is checked against a plain reference
// decoder (same accept/reject decision, same value, same byte count). A successful decode must
// re-encode to the canonical form of the value, which agrees with the bytes read on every 7-bit
// group and is never longer (a longer read is zero-padding with continuation bits). A failed
// Get* must leave its input untouched.
//
// The input is then read as a stream: a selector byte picks the next decoder, which consumes
// what follows, until one fails. The decoded fields re-encoded (selectors included) must parse
// back to the same fields, consuming all of it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

// The whole LEB128 rule, spelled out: at most 5 (10) bytes, the last one without its high bit,
// and a value that fits the type. Returns the bytes consumed, 0 on failure.
template <typename T>
size_t ReferenceDecodeVarint(std::string_view in, T* value) {
  constexpr size_t kMaxBytes = sizeof(T) == 4 ? kMaxVarint32Bytes : kMaxVarint64Bytes;
  unsigned __int128 accumulated = 0;  // 10 groups of 7 bits fit
  for (size_t i = 0; i < in.size() && i < kMaxBytes; ++i) {
    const auto byte = static_cast<uint8_t>(in[i]);
    accumulated |= static_cast<unsigned __int128>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (accumulated > std::numeric_limits<T>::max()) return 0;
      *value = static_cast<T>(accumulated);
      return i + 1;
    }
  }
  return 0;
}

// `read` decoded to the value whose canonical encoding is `canonical`. Both must carry the same
// 7-bit groups (zero past the canonical end), and each has its continuation bit on every byte
// but its last.
void CheckPrefixConsistent(std::string_view read, std::string_view canonical) {
  ZIGGY_ASSERT(!canonical.empty() && canonical.size() <= read.size());
  for (size_t i = 0; i < read.size(); ++i) {
    const auto byte = static_cast<uint8_t>(read[i]);
    const uint8_t expected_group = i < canonical.size() ? canonical[i] & 0x7f : 0;
    ZIGGY_ASSERT((byte & 0x7f) == expected_group);
    ZIGGY_ASSERT(((byte & 0x80) != 0) == (i + 1 < read.size()));
    if (i < canonical.size()) {
      ZIGGY_ASSERT(((canonical[i] & 0x80) != 0) == (i + 1 < canonical.size()));
    }
  }
}

const char* Decode(const char* p, const char* limit, uint32_t* v) {
  return DecodeVarint32(p, limit, v);
}
const char* Decode(const char* p, const char* limit, uint64_t* v) {
  return DecodeVarint64(p, limit, v);
}
char* Encode(char* dst, uint32_t v) {
  return EncodeVarint32(dst, v);
}
char* Encode(char* dst, uint64_t v) {
  return EncodeVarint64(dst, v);
}
void Put(std::string* dst, uint32_t v) {
  PutVarint32(dst, v);
}
void Put(std::string* dst, uint64_t v) {
  PutVarint64(dst, v);
}
bool Get(std::string_view* in, uint32_t* v) {
  return GetVarint32(in, v);
}
bool Get(std::string_view* in, uint64_t* v) {
  return GetVarint64(in, v);
}
bool GetFixed(std::string_view* in, uint32_t* v) {
  return GetFixed32(in, v);
}
bool GetFixed(std::string_view* in, uint64_t* v) {
  return GetFixed64(in, v);
}
void PutFixed(std::string* dst, uint32_t v) {
  PutFixed32(dst, v);
}
void PutFixed(std::string* dst, uint64_t v) {
  PutFixed64(dst, v);
}

template <typename T>
void CheckVarint(std::string_view input) {
  T value = 0;
  const char* end = Decode(input.data(), input.data() + input.size(), &value);
  T expected = 0;
  const size_t expected_bytes = ReferenceDecodeVarint(input, &expected);
  ZIGGY_ASSERT((end != nullptr) == (expected_bytes != 0));
  std::string_view rest = input;
  T got = 0;
  if (end == nullptr) {
    ZIGGY_ASSERT(!Get(&rest, &got));
    ZIGGY_ASSERT(rest.data() == input.data() && rest.size() == input.size());
    return;
  }
  const auto read_bytes = static_cast<size_t>(end - input.data());
  ZIGGY_ASSERT(read_bytes == expected_bytes && value == expected);

  char canonical[kMaxVarint64Bytes];
  const auto canonical_bytes = static_cast<size_t>(Encode(canonical, value) - canonical);
  ZIGGY_ASSERT(canonical_bytes == static_cast<size_t>(VarintLength(value)));
  CheckPrefixConsistent(input.substr(0, read_bytes), std::string_view(canonical, canonical_bytes));
  std::string put = "#";
  Put(&put, value);
  ZIGGY_ASSERT(put.substr(1) == std::string_view(canonical, canonical_bytes));

  // The decoder stops at the varint's last byte: the bytes it read, alone in an allocation of
  // their own (so ASan sees any overread), decode the same; one byte fewer is a truncation.
  auto exact = std::make_unique<char[]>(read_bytes);
  std::memcpy(exact.get(), input.data(), read_bytes);
  ZIGGY_ASSERT(Decode(exact.get(), exact.get() + read_bytes, &got) == exact.get() + read_bytes);
  ZIGGY_ASSERT(got == value);
  ZIGGY_ASSERT(Decode(exact.get(), exact.get() + read_bytes - 1, &got) == nullptr);

  ZIGGY_ASSERT(Get(&rest, &got) && got == value);
  ZIGGY_ASSERT(rest.data() == input.data() + read_bytes);
  ZIGGY_ASSERT(rest.size() == input.size() - read_bytes);
}

// The two varint widths agree wherever both accept.
void CheckVarintWidthsAgree(std::string_view input) {
  uint32_t narrow = 0;
  uint64_t wide = 0;
  const char* limit = input.data() + input.size();
  const char* narrow_end = DecodeVarint32(input.data(), limit, &narrow);
  const char* wide_end = DecodeVarint64(input.data(), limit, &wide);
  if (narrow_end != nullptr) ZIGGY_ASSERT(wide_end == narrow_end && wide == narrow);
  if (wide_end != nullptr && wide <= std::numeric_limits<uint32_t>::max() &&
      wide_end - input.data() <= kMaxVarint32Bytes) {
    ZIGGY_ASSERT(narrow_end == wide_end && narrow == wide);
  }
}

template <typename T>
void CheckFixed(std::string_view input) {
  std::string_view rest = input;
  T value = 0;
  const bool ok = GetFixed(&rest, &value);
  ZIGGY_ASSERT(ok == (input.size() >= sizeof(T)));
  if (!ok) {
    ZIGGY_ASSERT(rest.data() == input.data() && rest.size() == input.size());
    return;
  }
  T little_endian = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    little_endian |= static_cast<T>(static_cast<uint8_t>(input[i])) << (8 * i);
  ZIGGY_ASSERT(value == little_endian);
  ZIGGY_ASSERT(rest.data() == input.data() + sizeof(T));
  char encoded[sizeof(T)];
  if constexpr (sizeof(T) == 4) {
    ZIGGY_ASSERT(DecodeFixed32(input.data()) == value);
    EncodeFixed32(encoded, value);
  } else {
    ZIGGY_ASSERT(DecodeFixed64(input.data()) == value);
    EncodeFixed64(encoded, value);
  }
  ZIGGY_ASSERT(std::string_view(encoded, sizeof(T)) == input.substr(0, sizeof(T)));
  std::string put;
  PutFixed(&put, value);
  ZIGGY_ASSERT(put == input.substr(0, sizeof(T)));
}

void CheckLengthPrefixed(std::string_view input) {
  uint32_t length = 0;
  const size_t prefix_bytes = ReferenceDecodeVarint(input, &length);
  const bool expected_ok = prefix_bytes != 0 && input.size() - prefix_bytes >= length;
  std::string_view rest = input;
  std::string_view bytes;
  ZIGGY_ASSERT(GetLengthPrefixed(&rest, &bytes) == expected_ok);
  if (!expected_ok) {
    ZIGGY_ASSERT(rest.data() == input.data() && rest.size() == input.size());
    return;
  }
  ZIGGY_ASSERT(bytes.data() == input.data() + prefix_bytes && bytes.size() == length);
  ZIGGY_ASSERT(rest.data() == bytes.data() + length);
  std::string put;
  PutLengthPrefixed(&put, bytes);
  ZIGGY_ASSERT(put.size() == static_cast<size_t>(VarintLength(length)) + length);
  if (prefix_bytes == static_cast<size_t>(VarintLength(length))) {
    ZIGGY_ASSERT(put == input.substr(0, prefix_bytes + length));
  }
}

// ---- Stream: selector byte, then one field; until a decoder fails ----
enum class FieldKind : uint8_t { kFixed32, kFixed64, kVarint32, kVarint64, kLengthPrefixed };
inline constexpr uint8_t kFieldKinds = 5;

struct Field {
  FieldKind kind;
  uint64_t number;         // fixed and varint fields
  std::string_view bytes;  // length-prefixed fields
};

// Parses fields until the input ends or a decoder fails; *consumed_bytes covers whole fields.
std::vector<Field> ParseStream(std::string_view input, size_t* consumed_bytes) {
  std::vector<Field> fields;
  std::string_view rest = input;
  while (!rest.empty()) {
    Field field{static_cast<FieldKind>(static_cast<uint8_t>(rest[0]) % kFieldKinds), 0, {}};
    std::string_view after = rest.substr(1);
    uint32_t number32 = 0;
    bool ok = false;
    switch (field.kind) {
      case FieldKind::kFixed32:
        ok = GetFixed32(&after, &number32);
        field.number = number32;
        break;
      case FieldKind::kFixed64:
        ok = GetFixed64(&after, &field.number);
        break;
      case FieldKind::kVarint32:
        ok = GetVarint32(&after, &number32);
        field.number = number32;
        break;
      case FieldKind::kVarint64:
        ok = GetVarint64(&after, &field.number);
        break;
      case FieldKind::kLengthPrefixed:
        ok = GetLengthPrefixed(&after, &field.bytes);
        break;
    }
    if (!ok) break;
    fields.push_back(field);
    rest = after;
  }
  *consumed_bytes = input.size() - rest.size();
  return fields;
}

std::string EncodeStream(const std::vector<Field>& fields) {
  std::string out;
  for (const Field& field : fields) {
    out.push_back(static_cast<char>(field.kind));
    switch (field.kind) {
      case FieldKind::kFixed32:
        PutFixed32(&out, static_cast<uint32_t>(field.number));
        break;
      case FieldKind::kFixed64:
        PutFixed64(&out, field.number);
        break;
      case FieldKind::kVarint32:
        PutVarint32(&out, static_cast<uint32_t>(field.number));
        break;
      case FieldKind::kVarint64:
        PutVarint64(&out, field.number);
        break;
      case FieldKind::kLengthPrefixed:
        PutLengthPrefixed(&out, field.bytes);
        break;
    }
  }
  return out;
}

void CheckStreamRoundTrip(std::string_view input) {
  size_t consumed_bytes = 0;
  const std::vector<Field> fields = ParseStream(input, &consumed_bytes);
  const std::string rebuilt = EncodeStream(fields);
  ZIGGY_ASSERT(rebuilt.size() <= consumed_bytes);  // canonical encodings are the shortest
  size_t reparsed_bytes = 0;
  const std::vector<Field> reparsed = ParseStream(rebuilt, &reparsed_bytes);
  ZIGGY_ASSERT(reparsed_bytes == rebuilt.size());
  ZIGGY_ASSERT(reparsed.size() == fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    ZIGGY_ASSERT(reparsed[i].kind == fields[i].kind && reparsed[i].number == fields[i].number);
    ZIGGY_ASSERT(reparsed[i].bytes == fields[i].bytes);  // same content, different storage
  }
}

}  // namespace
}  // namespace ziggydb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ziggydb::CheckVarint<uint32_t>(input);
  ziggydb::CheckVarint<uint64_t>(input);
  ziggydb::CheckVarintWidthsAgree(input);
  ziggydb::CheckFixed<uint32_t>(input);
  ziggydb::CheckFixed<uint64_t>(input);
  ziggydb::CheckLengthPrefixed(input);
  ziggydb::CheckStreamRoundTrip(input);
  return 0;
}
