// SkipList: an ordered set of entries in arena memory, written by one thread (or by several through
// InsertConcurrently) and read lock-free by any number of threads at the same time. An entry is
// caller bytes stored inline in its node; the list orders entries with a comparator over pointers
// to those bytes (a search target is a pointer to bytes in the same encoding, held by the caller).
//
// Thread safety:
//   - Insert needs external synchronisation: at most one writer at a time, and no
//     InsertConcurrently meanwhile. InsertConcurrently may run on several threads at once (each
//     link is installed with a compare-and-swap), but not alongside Insert.
//   - Contains and Iterator need none and may run concurrently with Insert. A reader sees every
//     key whose Insert returned before the reader's operation started, and possibly some inserted
//     meanwhile; every node it reaches is fully initialised.
//   - The Arena must outlive the list; nodes are never freed or removed.
//
// Invariants:
//   1. At every level, the nodes reachable from head_ are in strictly increasing key order, and
//      the nodes at level i+1 are a subset of those at level i.
//   2. A node becomes reachable only through a release store of a link to it, made after its entry
//      and all its outgoing links are written; readers load links with acquire.
//   3. 1 <= max_height_ <= kMaxHeight, and head_ has kMaxHeight links (null beyond the list).
//   4. A node is linked bottom-up: it is reachable at level i only once it is reachable at every
//      level below, so a search that reaches it at level i may follow its links at levels <= i.
#ifndef ZIGGYDB_MEMTABLE_SKIPLIST_H_
#define ZIGGYDB_MEMTABLE_SKIPLIST_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <new>
#include <type_traits>

#include "memtable/arena.h"
#include "util/assert.h"
#include "util/random.h"

namespace ziggydb {

// Comparator: a copyable callable, int(const char* a, const char* b), <0 / 0 / >0, over entries.
template <class Comparator>
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

  // Adds an entry of entry_bytes, written by fill(char* entry) into the new node before it is
  // linked. The entry shares the node's allocation (and cache lines) with its links, so a search
  // touches one place per node. Precondition: no entry comparing equal is in the list. Single
  // writer. Returns the entry (for Iterator::SeekToEntry).
  template <typename Fill>
  const char* Insert(size_t entry_bytes, Fill&& fill);
  // Insert for several writers at once (see Thread safety): allocates through the arena's
  // concurrent path and draws node heights from a per-thread generator.
  template <typename Fill>
  const char* InsertConcurrently(size_t entry_bytes, Fill&& fill);
  bool Contains(const char* key) const;

  // A cursor over the list. Not thread-safe itself; many may exist, one per thread.
  class Iterator {
   public:
    // `list` must outlive the iterator. Starts not Valid().
    explicit Iterator(const SkipList* list) : list_(list) {}

    bool Valid() const { return node_ != nullptr; }
    // Preconditions for key, Next, Prev: Valid().
    const char* key() const {
      ZIGGY_ASSERT(Valid());
      return node_->entry();
    }
    void Next() {
      ZIGGY_ASSERT(Valid());
      node_ = node_->Next(0);
      // Nodes lie in the arena in insertion order, not key order, so each step is a cache miss.
      // In a merged scan the memtable's iterator waits on a node while other children supply
      // entries: fetch the node after it meanwhile. (A hint: a stale or null link costs nothing.)
      if (node_ != nullptr) __builtin_prefetch(node_->RelaxedNext(0));
    }
    // No back links: searches from the top for the last key before this one, O(log n).
    void Prev() {
      ZIGGY_ASSERT(Valid());
      node_ = list_->FindLast(node_->entry(), /*or_equal=*/false);
    }
    // First key >= target.
    void Seek(const char* target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    // Last key <= target (one descent, so a concurrent insert cannot land it past target).
    void SeekForPrev(const char* target) { node_ = list_->FindLast(target, /*or_equal=*/true); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    // At the entry an Insert into this list returned, without a search. The caller must have
    // learned of the entry after that Insert linked it (e.g. through a release/acquire pair).
    void SeekToEntry(const char* entry) {
      node_ = reinterpret_cast<Node*>(const_cast<char*>(entry));  // the node is its entry's address
    }
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
  // A node of `height` null links and entry_bytes of entry storage, in arena memory (through
  // the arena's concurrent path if `concurrent`).
  Node* NewNode(int height, size_t entry_bytes, bool concurrent = false);
  // Links a new node (not yet reachable) into every level below `height`.
  void LinkNode(Node* node, int height);
  // LinkNode for concurrent writers: compare-and-swap per level, bottom-up (invariant 4).
  void LinkNodeConcurrently(Node* node, int height);
  // Starting at `before` (head_ or a node ordering before key), the last node < key at `level`
  // and its successor.
  void FindSpliceAt(const char* key, int level, Node* before, Node** prev, Node** next) const;
  static int HeightFrom(Random* random);
  int RandomHeight() { return HeightFrom(&random_); }
  // True iff node is not null and orders before key.
  bool KeyIsAfterNode(const char* key, Node* node) const {
    return node != nullptr && compare_(node->entry(), key) < 0;
  }
  // First node >= key, or null. If prev is not null, fills prev[level] with the last node < key
  // at each level below GetMaxHeight().
  Node* FindGreaterOrEqual(const char* key, Node** prev) const;
  // Last node < bound (<= if or_equal), or the last node of all if bound is null; null when
  // there is none.
  Node* FindLast(const char* bound, bool or_equal) const;

  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  Random random_;  // used by the writer only
  // Concurrent inserts draw heights from a generator per thread and list, seeded from seed_ and
  // the order in which threads first insert (see InsertConcurrently).
  const uint64_t id_ = NewListId();
  const uint64_t seed_;
  std::atomic<uint64_t> threads_seeded_{0};

  static uint64_t NewListId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }
};

// A node is the address between its links and its entry, in one arena allocation:
//   [link height-1] ... [link 1] [link 0] | entry bytes
//                                         ^ Node*
// The links sit below the node address, so a node costs its links and its entry and nothing
// else: no key pointer, no height (only searches that already know the level follow a link).
template <class Comparator>
struct alignas(std::atomic<void*>) SkipList<Comparator>::Node {
  const char* entry() const { return reinterpret_cast<const char*>(this); }
  char* mutable_entry() { return reinterpret_cast<char*>(this); }

  Node* Next(int level) {
    // Acquire: pairs with the release in SetNext, so a reader that gets a node through this link
    // also sees the node's entry and links written before it was published (invariant 2).
    return Link(level)->load(std::memory_order_acquire);
  }
  void SetNext(int level, Node* node) {
    // Release: pairs with the acquire in Next; publishes `node` with everything written to it.
    Link(level)->store(node, std::memory_order_release);
  }
  // Links `node` after this one at `level` if the link is still `expected`. Release on success
  // (publishes node, as SetNext); on failure *expected is the current link (acquire).
  bool CasNext(int level, Node** expected, Node* node) {
    return Link(level)->compare_exchange_strong(*expected, node, std::memory_order_release,
                                                std::memory_order_acquire);
  }
  // Relaxed forms for the writer, on links no reader can reach yet or that only it writes.
  Node* RelaxedNext(int level) { return Link(level)->load(std::memory_order_relaxed); }
  void RelaxedSetNext(int level, Node* node) {
    Link(level)->store(node, std::memory_order_relaxed);
  }

 private:
  std::atomic<Node*>* Link(int level) {
    ZIGGY_DASSERT(level >= 0 && level < kMaxHeight);
    return std::launder(reinterpret_cast<std::atomic<Node*>*>(this) - 1 - level);
  }
};

template <class Comparator>
SkipList<Comparator>::SkipList(Comparator compare, Arena* arena, uint64_t seed)
    : compare_(compare), arena_(arena), head_(NewNode(kMaxHeight, 0)), random_(seed), seed_(seed) {
  static_assert(sizeof(std::atomic<Node*>) == sizeof(Node*));
  static_assert(alignof(std::atomic<Node*>) <= Arena::kAlignBytes);
}

template <class Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::NewNode(int height, size_t entry_bytes,
                                                                   bool concurrent) {
  ZIGGY_ASSERT(height >= 1 && height <= kMaxHeight);
  const size_t links_bytes = sizeof(std::atomic<Node*>) * static_cast<size_t>(height);
  char* memory = concurrent ? arena_->AllocateAlignedConcurrently(links_bytes + entry_bytes)
                            : arena_->AllocateAligned(links_bytes + entry_bytes);
  auto* links = reinterpret_cast<std::atomic<Node*>*>(memory);
  for (int i = 0; i < height; ++i)
    new (links + i) std::atomic<Node*>(nullptr);
  return reinterpret_cast<Node*>(memory + links_bytes);
}

template <class Comparator>
int SkipList<Comparator>::HeightFrom(Random* random) {
  int height = 1;
  while (height < kMaxHeight && random->OneIn(kBranching))
    ++height;
  ZIGGY_ASSERT(height >= 1 && height <= kMaxHeight);
  return height;
}

template <class Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::FindGreaterOrEqual(const char* key,
                                                                              Node** prev) const {
  Node* node = head_;
  int level = GetMaxHeight() - 1;
  // The node the last comparison found at or after key: met again one level down, it needs no
  // second comparison.
  const Node* not_before = nullptr;
  // INVARIANT: node is head_ or orders before key.
  while (true) {
    Node* next = node->Next(level);
    // The search is a chain of dependent cache misses. If `next` turns out to be past key, the
    // search continues at node's successor one level down: start fetching it now, in parallel
    // with the comparison. (A hint only: a stale pointer costs nothing.)
    if (level > 0) __builtin_prefetch(node->RelaxedNext(level - 1));
    if (next != not_before && KeyIsAfterNode(key, next)) {
      node = next;
      continue;
    }
    not_before = next;
    if (prev != nullptr) prev[level] = node;
    if (level == 0) return next;
    --level;
  }
}

template <class Comparator>
typename SkipList<Comparator>::Node* SkipList<Comparator>::FindLast(const char* bound,
                                                                    bool or_equal) const {
  Node* node = head_;
  int level = GetMaxHeight() - 1;
  // INVARIANT: node is head_ or lies within the bound.
  while (true) {
    Node* next = node->Next(level);
    bool advance = next != nullptr;
    if (advance && bound != nullptr) {
      const int r = compare_(next->entry(), bound);
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

template <class Comparator>
template <typename Fill>
const char* SkipList<Comparator>::Insert(size_t entry_bytes, Fill&& fill) {
  const int height = RandomHeight();
  Node* node = NewNode(height, entry_bytes);
  fill(node->mutable_entry());
  LinkNode(node, height);
  return node->entry();
}

template <class Comparator>
void SkipList<Comparator>::LinkNode(Node* node, int height) {
  Node* prev[kMaxHeight];
  Node* successor = FindGreaterOrEqual(node->entry(), prev);
  ZIGGY_ASSERT(successor == nullptr ||
               compare_(node->entry(), successor->entry()) != 0);  // no duplicates

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

template <class Comparator>
template <typename Fill>
const char* SkipList<Comparator>::InsertConcurrently(size_t entry_bytes, Fill&& fill) {
  // Heights need only be independent draws, but one writer must draw the same heights in every
  // run (heights decide the memtable's size and so when it is switched: deterministic replay,
  // tests/deterministic_replay_test.cc): each thread keeps a generator for the list it last
  // inserted into, seeded from the list's seed and how many threads were seeded before it.
  struct ThreadHeights {
    uint64_t list_id = 0;
    Random random{0};
  };
  thread_local ThreadHeights mine;
  if (mine.list_id != id_) {
    mine.list_id = id_;
    const uint64_t ordinal = threads_seeded_.fetch_add(1, std::memory_order_relaxed);
    mine.random = Random(seed_ ^ (0x9e3779b97f4a7c15ULL * (ordinal + 1)));
  }
  const int height = HeightFrom(&mine.random);
  Node* node = NewNode(height, entry_bytes, /*concurrent=*/true);
  fill(node->mutable_entry());
  LinkNodeConcurrently(node, height);
  return node->entry();
}

template <class Comparator>
void SkipList<Comparator>::FindSpliceAt(const char* key, int level, Node* before, Node** prev,
                                        Node** next) const {
  Node* node = before;
  while (true) {
    Node* successor = node->Next(level);
    if (!KeyIsAfterNode(key, successor)) {
      *prev = node;
      *next = successor;
      return;
    }
    node = successor;
  }
}

template <class Comparator>
void SkipList<Comparator>::LinkNodeConcurrently(Node* node, int height) {
  // Raise max_height_ first (relaxed, as in LinkNode): readers that see the new height find
  // null or this node's levels at head_.
  int max_height = GetMaxHeight();
  while (height > max_height &&
         !max_height_.compare_exchange_weak(max_height, height, std::memory_order_relaxed)) {
  }
  max_height = std::max(max_height, height);
  Node* prev[kMaxHeight];
  Node* next[kMaxHeight];
  // FindGreaterOrEqual's search (prefetch, no second comparison of a node), keeping next too.
  Node* before = head_;
  const Node* not_before = nullptr;
  for (int level = max_height - 1; level >= 0; --level) {
    while (true) {
      Node* successor = before->Next(level);
      if (level > 0) __builtin_prefetch(before->RelaxedNext(level - 1));
      if (successor != not_before && KeyIsAfterNode(node->entry(), successor)) {
        before = successor;
        continue;
      }
      not_before = successor;
      prev[level] = before;
      next[level] = successor;
      break;
    }
  }
  ZIGGY_ASSERT(next[0] == nullptr ||
               compare_(node->entry(), next[0]->entry()) != 0);  // no duplicates

  // Bottom-up (invariant 4). Nodes are never removed, so after a lost race prev[level] still
  // orders before the key and the search for the new splice resumes from it.
  for (int level = 0; level < height; ++level) {
    while (true) {
      // Relaxed: the CAS below publishes the node at this level with a release.
      node->RelaxedSetNext(level, next[level]);
      Node* expected = next[level];
      if (prev[level]->CasNext(level, &expected, node)) break;
      FindSpliceAt(node->entry(), level, prev[level], &prev[level], &next[level]);
    }
  }
}

template <class Comparator>
bool SkipList<Comparator>::Contains(const char* key) const {
  Node* node = FindGreaterOrEqual(key, nullptr);
  return node != nullptr && compare_(key, node->entry()) == 0;
}

}  // namespace ziggydb

#endif  // ZIGGYDB_MEMTABLE_SKIPLIST_H_
