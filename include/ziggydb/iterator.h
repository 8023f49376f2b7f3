// Iterator: an ordered cursor over key/value pairs.
//
// Keys are ordered bytewise (unsigned, shorter-is-smaller on a common prefix). An iterator is not
// thread-safe: use one from one thread at a time. key() and value() stay valid until the next call
// that moves the iterator. After an I/O or checksum error, Valid() is false and status() says why.
#ifndef ZIGGYDB_ITERATOR_H_
#define ZIGGYDB_ITERATOR_H_

#include <string_view>

#include "ziggydb/status.h"

namespace ziggydb {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  // Preconditions for the four below: Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_ITERATOR_H_
