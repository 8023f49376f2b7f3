// The dump stream: round trips (binary keys, NULs, empty and large values, many chunks), and
// every truncation and many corruptions of a small stream rejected with Corruption.
#include "db/dump_format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "util/coding.h"
#include "util/crc32c.h"

namespace ziggydb {
namespace {

using Model = std::map<std::string, std::string>;

std::string Encode(const Model& model, size_t chunk_bytes) {
  std::string out;
  DumpWriter writer(
      [&out](std::string_view bytes) {
        out.append(bytes);
        return Status::OK();
      },
      chunk_bytes);
  EXPECT_TRUE(writer.Begin().ok());
  for (const auto& [key, value] : model)
    EXPECT_TRUE(writer.Add(key, value).ok());
  EXPECT_TRUE(writer.Finish().ok());
  EXPECT_EQ(writer.records(), model.size());
  EXPECT_EQ(writer.bytes_written(), out.size());
  return out;
}

Status Decode(std::string_view bytes, Model* model) {
  StringDumpSource source(bytes);
  DumpReader reader(&source);
  if (Status s = reader.ReadHeader(); !s.ok()) return s;
  for (;;) {
    std::vector<DumpReader::Record> records;
    bool end = false;
    Status s = reader.NextChunk(&records, &end);
    if (!s.ok()) return s;
    if (end) return Status::OK();
    for (const auto& [key, value] : records)
      (*model)[std::string(key)] = std::string(value);
  }
}

Model RandomModel(uint32_t seed, int keys) {
  std::mt19937 rng(seed);
  Model model;
  for (int i = 0; i < keys; ++i) {
    std::string key(1 + rng() % 12, '\0');
    for (char& c : key)
      c = static_cast<char>(rng() % 4 == 0 ? 0 : rng());
    std::string value(rng() % 300, '\0');
    for (char& c : value)
      c = static_cast<char>(rng());
    model[key] = value;
  }
  return model;
}

TEST(DumpFormat, RoundTripsBinaryKeysNulsAndLargeValues) {
  const uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  Model model = RandomModel(seed, 2000);
  model[std::string()] = "the empty key";
  model[std::string("\0\0", 2)] = std::string("\0v\0", 3);
  model["large"] = std::string(size_t{3} << 20, 'L');  // larger than a chunk
  model["zz-empty-value"] = "";
  for (size_t chunk_bytes : {size_t{1}, size_t{4096}, kDumpChunkTargetBytes}) {
    const std::string stream = Encode(model, chunk_bytes);
    Model decoded;
    ASSERT_TRUE(Decode(stream, &decoded).ok()) << chunk_bytes;
    EXPECT_EQ(decoded, model) << chunk_bytes;
  }
}

TEST(DumpFormat, AnEmptyDumpIsHeaderAndTrailer) {
  const std::string stream = Encode({}, kDumpChunkTargetBytes);
  EXPECT_EQ(stream.size(), kDumpHeaderBytes + kDumpChunkHeadBytes + 20 + 4);
  Model decoded;
  EXPECT_TRUE(Decode(stream, &decoded).ok());
  EXPECT_TRUE(decoded.empty());
}

TEST(DumpFormat, EveryTruncationIsCorruption) {
  const std::string stream = Encode(RandomModel(7, 40), 256);
  for (size_t cut = 0; cut < stream.size(); ++cut) {
    Model decoded;
    const Status s = Decode(std::string_view(stream).substr(0, cut), &decoded);
    EXPECT_TRUE(s.IsCorruption()) << cut << ": " << s.ToString();
  }
  Model decoded;
  const Status s = Decode(stream + "x", &decoded);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("after the trailer"), std::string::npos) << s.ToString();
}

TEST(DumpFormat, EveryFlippedBitIsCaught) {
  const std::string stream = Encode(RandomModel(11, 30), 200);
  for (size_t byte = 0; byte < stream.size(); ++byte) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string damaged = stream;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      Model decoded;
      const Status s = Decode(damaged, &decoded);
      // A flipped version field is a (checksummed) header mismatch, so always Corruption.
      EXPECT_TRUE(s.IsCorruption()) << byte << "/" << bit << ": " << s.ToString();
    }
  }
}

TEST(DumpFormat, ANewerVersionIsNotSupported) {
  std::string stream = Encode({{"a", "1"}}, 64);
  stream[8] = 2;  // version 2, header CRC recomputed
  std::string header = stream.substr(0, 12);
  std::string crc;
  PutFixed32(&crc, crc32c::Mask(crc32c::Value(header.data(), header.size())));
  stream.replace(12, 4, crc);
  Model decoded;
  const Status s = Decode(stream, &decoded);
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
}

// A stream of the header and one chunk (its checksum right) of `count` records over `payload`.
std::string StreamWithChunk(uint32_t count, std::string_view payload) {
  std::string chunk;
  PutFixed32(&chunk, count);
  PutFixed32(&chunk, static_cast<uint32_t>(payload.size()));
  chunk.append(payload);
  PutFixed32(&chunk, crc32c::Mask(crc32c::Value(chunk.data(), chunk.size())));
  return Encode({}, kDumpChunkTargetBytes).substr(0, kDumpHeaderBytes) + chunk;
}

// Reads the header of `stream` (which must be valid) and its first chunk into *records: the
// chunk's Status; *bytes_read, if given, gets the bytes the reader consumed.
Status ReadFirstChunk(const std::string& stream, std::vector<DumpReader::Record>* records,
                      uint64_t* bytes_read = nullptr) {
  StringDumpSource source(stream);
  DumpReader reader(&source);
  const Status header = reader.ReadHeader();
  EXPECT_TRUE(header.ok()) << header.ToString();
  bool end = false;
  const Status s = header.ok() ? reader.NextChunk(records, &end) : header;
  if (bytes_read != nullptr) *bytes_read = reader.bytes_read();
  return s;
}

// A chunk whose checksum holds but whose count only its own decoding can refute: 1 MiB of zeros
// claiming half a million records (each would be an empty key and value; the second repeats the
// key).
TEST(DumpFormat, AChunkCountReservesNoMoreThanRecordsThatDecode) {
  const uint32_t payload_bytes = kDumpChunkTargetBytes;
  const uint32_t count = payload_bytes / 2;
  const std::string stream = StreamWithChunk(count, std::string(payload_bytes, '\0'));

  std::vector<DumpReader::Record> records;
  const Status s = ReadFirstChunk(stream, &records);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("keys out of order"), std::string::npos) << s.ToString();
  EXPECT_TRUE(records.empty());
  // reserve(count) took room for all of them (16 MB here; ~4 GB for the largest chunk before the
  // count was bounded by the writer's limit).
  EXPECT_LT(records.capacity(), size_t{count} / 4);
}

// The records of a chunk are bounded by the writer's limits, which the reader enforces: every
// record starts within the chunk's first kDumpChunkTargetBytes. A chunk of 2 MiB of small, valid,
// ascending records (which a writer never makes: it closes a chunk at 1 MiB) is refused; before,
// a chunk of up to 258 MiB of 2-byte records was accepted, a record list of ~4 GB.
TEST(DumpFormat, AChunkPastTheWritersLimitIsRefused) {
  std::string payload;
  uint32_t count = 0;
  while (payload.size() < (size_t{2} << 20)) {
    std::string key;
    PutFixed32(&key, count);
    std::reverse(key.begin(), key.end());  // big-endian: ascending bytewise
    PutLengthPrefixed(&payload, key);
    PutLengthPrefixed(&payload, "");
    ++count;
  }
  const std::string stream = StreamWithChunk(count, payload);
  std::vector<DumpReader::Record> records;
  const Status s = ReadFirstChunk(stream, &records);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("past the writer's limit"), std::string::npos) << s.ToString();
  EXPECT_TRUE(records.empty());
}

// A count no chunk can hold (more than min(length, 1 MiB) / 2) is refused from the chunk's head,
// before its payload is read.
TEST(DumpFormat, AChunkCountOverTheWritersLimitIsRefusedFromItsHead) {
  const uint32_t payload_bytes = 200 << 20;  // within kMaxDumpChunkBytes (one huge record)
  const uint32_t count = kDumpChunkTargetBytes / 2 + 1;
  std::string head;
  PutFixed32(&head, count);
  PutFixed32(&head, payload_bytes);
  // No payload follows: a reader that went on to read it would report a truncated stream.
  const std::string stream = Encode({}, kDumpChunkTargetBytes).substr(0, kDumpHeaderBytes) + head;
  std::vector<DumpReader::Record> records;
  uint64_t bytes_read = 0;
  const Status s = ReadFirstChunk(stream, &records, &bytes_read);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("more than its"), std::string::npos) << s.ToString();
  EXPECT_EQ(bytes_read, kDumpHeaderBytes + kDumpChunkHeadBytes);
}

// The writer's chunks at the limit: many small records (chunks of just over 1 MiB, the last
// record of each starting just under it) and a record far larger than a chunk after them.
TEST(DumpFormat, WriterChunksAtTheLimitAreAccepted) {
  Model model;
  for (uint32_t i = 0; i < 300000; ++i) {
    std::string key;
    PutFixed32(&key, i);
    std::reverse(key.begin(), key.end());
    model[key] = "v";
  }
  model[std::string(4, '\xff') + "large"] = std::string(size_t{3} << 20, 'L');
  // A target over the format's limit is clamped to it: the reader accepts what it writes.
  for (size_t chunk_bytes : {kDumpChunkTargetBytes, size_t{4} << 20}) {
    Model decoded;
    const Status s = Decode(Encode(model, chunk_bytes), &decoded);
    ASSERT_TRUE(s.ok()) << chunk_bytes << ": " << s.ToString();
    EXPECT_EQ(decoded, model);
  }
}

TEST(DumpFormat, WriterRefusesUnorderedKeys) {
  DumpWriter writer([](std::string_view) { return Status::OK(); });
  ASSERT_TRUE(writer.Begin().ok());
  ASSERT_TRUE(writer.Add("b", "").ok());
  EXPECT_TRUE(writer.Add("a", "").IsInvalidArgument());
  EXPECT_TRUE(writer.Add("b", "").IsInvalidArgument());
}

}  // namespace
}  // namespace ziggydb
