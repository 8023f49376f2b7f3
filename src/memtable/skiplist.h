// SkipList: an ordered set of keys in arena memory, written by one thread and read lock-free by
// any number of threads at the same time.
//
// Thread safety:
//   - Insert needs external synchronisation: at most one writer at a time.
//   - Contains and Iterator need none and may run concurrently with Insert. A reader sees every
//     key whose Insert returned before the reader's operation started, and possibly some inserted
//     meanwhile; every node it reaches is fully initialised.
//   - The Arena must outlive the list; nodes are never freed or removed.
//
// Invariants:
//   1. At every level, the nodes reachable from head_ are in strictly increasing key order, and
//      the nodes at level i+1 are a subset of those at level i.
//   2. A node becomes reachable only through a release store of a link to it, made after its key
//      and all its outgoing links are written; readers load links with acquire.
//   3. 1 <= max_height_ <= kMaxHeight, and head_ has kMaxHeight links (null beyond the list).
#ifndef ZIGGYDB_MEMTABLE_SKIPLIST_H_
#define ZIGGYDB_MEMTABLE_SKIPLIST_H_

#include <atomic>
#include <cstdint>
#include <new>
#include <type_traits>

#include "memtable/arena.h"
#include "util/assert.h"
#include "util/random.h"

namespace ziggydb {

// Comparator: a copyable callable, int(const Key&, const Key&), <0 / 0 / >0.
// Key: trivially copyable and trivially destructible (nodes are never destroyed).
template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;
  // A node reaching level i also reaches level i+1 with probability 1/kBranching.
  static constexpr uint64_t kBranching = 4;
  static constexpr uint64_t kDefaultSeed = 0x5eed5eed;

  SkipList(Comparator compare, Arena* arena, uint64_t seed = kDefaultSeed);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Precondition: no key comparing equal to `key` is in the list. Single writer.
  void Insert(const Key& key);
  // Like Insert, but the node is allocated with payload_bytes of caller storage right after its
  // links, in the same arena allocation: make_key(char* payload) fills the payload and returns
  // the key (typically a pointer into the payload). A key stored there shares the cache lines of
  // its node, so a search touches one place per node instead of two. Same preconditions.
  template <typename MakeKey>
  void InsertWithPayload(size_t payload_bytes, MakeKey&& make_key);
  bool Contains(const Key& key) const;

  // A cursor over the list. Not thread-safe itself; many may exist, one per thread.
  class Iterator {
   public:
    // `list` must outlive the iterator. Starts not Valid().
    explicit Iterator(const SkipList* list) : list_(list) {}

    bool Valid() const { return node_ != nullptr; }
    // Preconditions for key, Next, Prev: Valid().
    const Key& key() const {
      ZIGGY_ASSERT(Valid());
      return node_->key;
    }
    void Next() {
      ZIGGY_ASSERT(Valid());
      node_ = node_->Next(0);
    }
    // No back links: searches from the top for the last key before this one, O(log n).
    void Prev() {
      ZIGGY_ASSERT(Valid());
      node_ = list_->FindLast(&node_->key, /*or_equal=*/false);
    }
    // First key >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    // Last key <= target (one descent, so a concurrent insert cannot land it past target).
    void SeekForPrev(const Key& target) { node_ = list_->FindLast(&target, /*or_equal=*/true); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() { node_ = list_->FindLast(nullptr, false); }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

 private:
  int GetMaxHeight() const {
    // Relaxed: see the store in Insert for why a stale height is harmless.
    return max_height_.load(std::memory_order_relaxed);
  }
  // Arena memory for a node of `height` links followed by payload_bytes of caller storage.
  char* AllocateNode(int height, size_t payload_bytes);
  static constexpr size_t NodeBytes(int height) {
    return sizeof(Node) + sizeof(std::atomic<Node*>) * static_cast<size_t>(height);
  }
  // Constructs the node (key and null links) in memory from AllocateNode.
  static Node* ConstructNode(char* memory, const Key& key, int height);
  // Links a new node (not yet reachable) into every level below `height`.
  void LinkNode(Node* node, int height);
  int RandomHeight();
  // True iff node is not null and orders before key.
  bool KeyIsAfterNode(const Key& key, Node* node) const {
    return node != nullptr && compare_(node->key, key) < 0;
  }
  // First node >= key, or null. If prev is not null, fills prev[level] with the last node < key
  // at each level below GetMaxHeight().
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // Last node < *bound (<= if or_equal), or the last node of all if bound is null; null when
  // there is none.
  Node* FindLast(const Key* bound, bool or_equal) const;

  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  Random random_;  // used by the writer only
};

// A node and its links: the height links live in the same arena allocation right after the
// struct (alignas keeps them aligned), so a height-1 node costs one key and one pointer.
template <typename Key, class Comparator>
struct alignas(std::atomic<void*>) SkipList<Key, Comparator>::Node {
  explicit Node(const Key& k) : key(k) {}

  Key const key;

  Node* Next(int level) {
    // Acquire: pairs with the release in SetNext, so a reader that gets a node through this link
    // also sees the node's key and links written before it was published (invariant 2).
    return Link(level)->load(std::memory_order_acquire);
  }
  void SetNext(int level, Node* node) {
    // Release: pairs with the acquire in Next; publishes `node` with everything written to it.
    Link(level)->store(node, std::memory_order_release);
  }
  // Relaxed forms for the writer, on links no reader can reach yet or that only it writes.
  Node* RelaxedNext(int level) { return Link(level)->load(std::memory_order_relaxed); }
  void RelaxedSetNext(int level, Node* node) {
    Link(level)->store(node, std::memory_order_relaxed);
  }

 private:
  std::atomic<Node*>* Link(int level) {
    ZIGGY_DASSERT(level >= 0 && level < kMaxHeight);
    return std::launder(reinterpret_cast<std::atomic<Node*>*>(this + 1) + level);
  }
};

template <typename Key, class Comparator>
SkipList<Key, Comparator>::SkipList(Comparator compare, Arena* arena, uint64_t seed)
    : compare_(compare),
      arena_(arena),
      head_(ConstructNode(AllocateNode(kMaxHeight, 0), Key{}, kMaxHeight)),
      random_(seed) {
  static_assert(std::is_trivially_destructible_v<Key>);
  static_assert(alignof(Node) <= Arena::kAlignBytes);
  static_assert(sizeof(Node) % alignof(std::atomic<Node*>) == 0);
}

template <typename Key, class Comparator>
char* SkipList<Key, Comparator>::AllocateNode(int height, size_t payload_bytes) {
  ZIGGY_ASSERT(height >= 1 && height <= kMaxHeight);
  return arena_->AllocateAligned(NodeBytes(height) + payload_bytes);
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::ConstructNode(char* memory,
                                                                                   const Key& key,
                                                                                   int height) {
  Node* node = new (memory) Node(key);
  auto* links = reinterpret_cast<std::atomic<Node*>*>(memory + sizeof(Node));
  for (int i = 0; i < height; ++i)
    new (links + i) std::atomic<Node*>(nullptr);
  return node;
}

template <typename Key, class Comparator>
int SkipList<Key, Comparator>::RandomHeight() {
  int height = 1;
  while (height < kMaxHeight && random_.OneIn(kBranching))
    ++height;
  ZIGGY_ASSERT(height >= 1 && height <= kMaxHeight);
  return height;
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindGreaterOrEqual(
    const Key& key, Node** prev) const {
  Node* node = head_;
  int level = GetMaxHeight() - 1;
  // INVARIANT: node is head_ or orders before key.
  while (true) {
    Node* next = node->Next(level);
    // The search is a chain of dependent cache misses. If `next` turns out to be past key, the
    // search continues at node's successor one level down: start fetching it now, in parallel
    // with the comparison. (A hint only: a stale pointer costs nothing.)
    if (level > 0) __builtin_prefetch(node->RelaxedNext(level - 1));
    if (KeyIsAfterNode(key, next)) {
      node = next;
      continue;
    }
    if (prev != nullptr) prev[level] = node;
    if (level == 0) return next;
    --level;
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLast(const Key* bound,
                                                                              bool or_equal) const {
  Node* node = head_;
  int level = GetMaxHeight() - 1;
  // INVARIANT: node is head_ or lies within the bound.
  while (true) {
    Node* next = node->Next(level);
    bool advance = next != nullptr;
    if (advance && bound != nullptr) {
      const int r = compare_(next->key, *bound);
      advance = or_equal ? r <= 0 : r < 0;
    }
    if (advance) {
      node = next;
    } else if (level == 0) {
      return node == head_ ? nullptr : node;
    } else {
      --level;
    }
  }
}

template <typename Key, class Comparator>
void SkipList<Key, Comparator>::Insert(const Key& key) {
  const int height = RandomHeight();
  LinkNode(ConstructNode(AllocateNode(height, 0), key, height), height);
}

template <typename Key, class Comparator>
template <typename MakeKey>
void SkipList<Key, Comparator>::InsertWithPayload(size_t payload_bytes, MakeKey&& make_key) {
  const int height = RandomHeight();
  char* memory = AllocateNode(height, payload_bytes);
  const Key key = make_key(memory + NodeBytes(height));
  LinkNode(ConstructNode(memory, key, height), height);
}

template <typename Key, class Comparator>
void SkipList<Key, Comparator>::LinkNode(Node* node, int height) {
  Node* prev[kMaxHeight];
  Node* successor = FindGreaterOrEqual(node->key, prev);
  ZIGGY_ASSERT(successor == nullptr || compare_(node->key, successor->key) != 0);  // no duplicates

  const int max_height = GetMaxHeight();
  if (height > max_height) {
    for (int level = max_height; level < height; ++level)
      prev[level] = head_;
    // Relaxed: a reader that sees the new height before the links below reads null from head_
    // at the new levels and just descends; one that sees the old height skips the new levels.
    // Either way it finds every previously inserted key.
    max_height_.store(height, std::memory_order_relaxed);
  }

  for (int level = 0; level < height; ++level) {
    // Relaxed: `node` is unreachable until the release store below publishes it, and only this
    // thread writes prev[level]'s links.
    node->RelaxedSetNext(level, prev[level]->RelaxedNext(level));
    prev[level]->SetNext(level, node);
  }
}

template <typename Key, class Comparator>
bool SkipList<Key, Comparator>::Contains(const Key& key) const {
  Node* node = FindGreaterOrEqual(key, nullptr);
  return node != nullptr && compare_(key, node->key) == 0;
}

}  // namespace ziggydb

#endif  // ZIGGYDB_MEMTABLE_SKIPLIST_H_
