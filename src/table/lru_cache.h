// ShardedLruCache: a thread-safe, charge-bounded LRU cache of shared values.
//
// The key space is split over 2^shard_bits shards by a mixed hash of the key; each shard is a
// mutex, an unordered_map from key to a node of an LRU list (most recently used at the front),
// and a charge budget of about capacity_charge / num_shards (the budgets sum to capacity_charge).
// Values are held as std::shared_ptr<Value>: evicting or erasing an entry only drops the cache's
// reference, so a reader that got the value from Lookup keeps it alive for as long as it holds it.
//
// Pinned evictions (optional, for a cache under a memory budget): an entry evicted while someone
// else still holds its value keeps costing memory. With charge_pinned_evictions the shard then
// remembers it (a weak reference and its charge) and counts that charge against its capacity
// until the value is released, so the cache shrinks while readers pin evicted values.
//
// Invariants (per shard, whenever its mutex is free):
//   1. map and lru hold the same entries; usage_charge == sum of their charges.
//   2. usage_charge + pinned_charge <= capacity_charge, unless the newest entry alone (with the
//      pinned values) exceeds it: then it is the only entry.
//   3. No entry has a null value.
//   4. pinned_charge == sum of the charges in `pinned` (some of which may have expired since
//      the last prune).
// Counters are relaxed atomics, updated under the shard mutex and summed without it, so a
// snapshot taken during concurrent use is approximate but never torn per counter.
//
// Thread safety: every method may be called concurrently.
#ifndef ZIGGYDB_TABLE_LRU_CACHE_H_
#define ZIGGYDB_TABLE_LRU_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/assert.h"
#include "util/mutex.h"

namespace ziggydb {

struct CacheCounters {
  uint64_t hits = 0;       // Lookups that found their key
  uint64_t misses = 0;     // Lookups that did not
  uint64_t inserts = 0;    // Inserts that cached their value (including replacements)
  uint64_t evictions = 0;  // entries dropped to make room (not Erase, not replacement)
};

inline constexpr int kCacheShardBitsMax = 10;

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class ShardedLruCache {
 public:
  // capacity_charge: total charge budget (e.g. bytes); 0 disables caching. shard_bits in
  // [0, kCacheShardBitsMax]. charge_pinned_evictions: see "Pinned evictions" above.
  explicit ShardedLruCache(size_t capacity_charge, int shard_bits = 4,
                           bool charge_pinned_evictions = false)
      : capacity_charge_(capacity_charge),
        shard_bits_(shard_bits),
        charge_pinned_evictions_(charge_pinned_evictions) {
    ZIGGY_ASSERT(shard_bits >= 0 && shard_bits <= kCacheShardBitsMax);
    shards_ = std::make_unique<Shard[]>(num_shards());
    for (size_t i = 0; i < num_shards(); ++i) {
      MutexLock lock(&shards_[i].mutex);
      shards_[i].capacity_charge = ShardCapacity(capacity_charge, i);
    }
  }

  ShardedLruCache(const ShardedLruCache&) = delete;
  ShardedLruCache& operator=(const ShardedLruCache&) = delete;

  // The cached value for key (now the most recently used), or null.
  std::shared_ptr<Value> Lookup(const Key& key) {
    Shard& shard = ShardFor(key);
    MutexLock lock(&shard.mutex);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) {
      shard.misses.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    shard.hits.fetch_add(1, std::memory_order_relaxed);
    return it->second->value;
  }

  // Caches value under key as the most recently used entry, replacing any entry for key, then
  // evicts least recently used entries until the shard is within its budget. A charge of 0 counts
  // as 1, so the number of entries stays bounded. A value whose charge exceeds the shard's budget
  // is not cached (any old entry for key is still dropped). Precondition: value != nullptr.
  // Returns the number of entries evicted to make room.
  size_t Insert(const Key& key, std::shared_ptr<Value> value, size_t charge) {
    ZIGGY_ASSERT(value != nullptr);
    charge = charge == 0 ? 1 : charge;
    Shard& shard = ShardFor(key);
    // Dropped values are released after the mutex (declared first, destroyed last), so value
    // destructors never run under a shard lock.
    DroppedValues dropped;
    MutexLock lock(&shard.mutex);
    if (charge > shard.capacity_charge) {
      DropLocked(&shard, key, &dropped);
      return 0;
    }
    // One hash lookup: a new slot, or the existing entry updated in place (and made newest).
    auto [slot, added] = shard.map.try_emplace(key);
    if (added) {
      try {
        shard.lru.push_front(Entry{key, std::move(value), charge});
      } catch (...) {
        shard.map.erase(slot);  // an allocation failure must not leave a slot with no entry
        throw;
      }
      slot->second = shard.lru.begin();
    } else {
      Entry& entry = *slot->second;
      ZIGGY_ASSERT(shard.usage_charge >= entry.charge);
      shard.usage_charge -= entry.charge;
      KeepChargedIfHeld(&shard, entry.value, entry.charge);
      dropped.Add(std::exchange(entry.value, std::move(value)));
      entry.charge = charge;
      shard.lru.splice(shard.lru.begin(), shard.lru, slot->second);
    }
    shard.usage_charge += charge;
    shard.inserts.fetch_add(1, std::memory_order_relaxed);
    // INVARIANT: the new entry is at the front and the loop leaves at least one entry, so it
    // never evicts the new one.
    const size_t evicted = EvictLocked(&shard, /*entries_kept_min=*/1, &dropped);
    ZIGGY_DASSERT(shard.map.size() == shard.lru.size());
    return evicted;
  }

  // Sets the total charge budget, evicting least recently used entries of each shard until it
  // is within its new share. Entries inserted meanwhile see either budget.
  void SetCapacity(size_t capacity_charge) {
    capacity_charge_.store(capacity_charge, std::memory_order_relaxed);
    for (size_t i = 0; i < num_shards(); ++i) {
      Shard& shard = shards_[i];
      DroppedValues dropped;  // released after the mutex
      MutexLock lock(&shard.mutex);
      shard.capacity_charge = ShardCapacity(capacity_charge, i);
      EvictLocked(&shard, /*entries_kept_min=*/0, &dropped);
    }
  }

  // Drops the entry for key, if any.
  void Erase(const Key& key) {
    Shard& shard = ShardFor(key);
    DroppedValues dropped;  // released after the mutex
    MutexLock lock(&shard.mutex);
    DropLocked(&shard, key, &dropped);
  }

  // Sum of the charges of the cached entries.
  size_t usage() const {
    size_t total = 0;
    for (size_t i = 0; i < num_shards(); ++i) {
      const Shard& shard = shards_[i];
      MutexLock lock(&shard.mutex);
      total += shard.usage_charge;
    }
    return total;
  }

  // Sum of the charges of evicted values still held elsewhere (0 without
  // charge_pinned_evictions); forgets the released ones.
  size_t pinned_usage() {
    size_t total = 0;
    for (size_t i = 0; i < num_shards(); ++i) {
      Shard& shard = shards_[i];
      MutexLock lock(&shard.mutex);
      shard.PrunePinnedLocked();
      total += shard.pinned_charge;
    }
    return total;
  }

  size_t capacity() const { return capacity_charge_.load(std::memory_order_relaxed); }
  size_t num_shards() const { return size_t{1} << shard_bits_; }

  CacheCounters counters() const {
    CacheCounters sum;
    for (size_t i = 0; i < num_shards(); ++i) {
      const Shard& shard = shards_[i];
      sum.hits += shard.hits.load(std::memory_order_relaxed);
      sum.misses += shard.misses.load(std::memory_order_relaxed);
      sum.inserts += shard.inserts.load(std::memory_order_relaxed);
      sum.evictions += shard.evictions.load(std::memory_order_relaxed);
    }
    return sum;
  }

 private:
  struct Entry {
    Key key;
    std::shared_ptr<Value> value;
    size_t charge;
  };
  using LruList = std::list<Entry>;

  // Values an Insert drops, released when it returns (after the shard mutex). Usually one or
  // two, kept inline so that an Insert that evicts does not allocate.
  class DroppedValues {
   public:
    void Add(std::shared_ptr<Value> value) {
      if (value == nullptr) return;
      if (num_inline_ < inline_.size()) {
        inline_[num_inline_++] = std::move(value);
      } else {
        more_.push_back(std::move(value));
      }
    }

   private:
    std::array<std::shared_ptr<Value>, 4> inline_;
    size_t num_inline_ = 0;
    std::vector<std::shared_ptr<Value>> more_;
  };

  struct Pinned {
    std::weak_ptr<Value> value;
    size_t charge;
  };

  // Cache-line aligned so that shards locked by different threads do not share a line.
  struct alignas(64) Shard {
    mutable Mutex mutex;
    LruList lru GUARDED_BY(mutex);
    std::unordered_map<Key, typename LruList::iterator, Hash> map GUARDED_BY(mutex);
    size_t usage_charge GUARDED_BY(mutex) = 0;
    size_t capacity_charge GUARDED_BY(mutex) = 0;
    std::vector<Pinned> pinned GUARDED_BY(mutex);
    size_t pinned_charge GUARDED_BY(mutex) = 0;
    // Written under mutex, read anywhere.
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
    std::atomic<uint64_t> inserts{0};
    std::atomic<uint64_t> evictions{0};

    // Removes the entry for key and returns its value (null if absent). `key` may refer to the
    // entry itself: it is not used after the entry is destroyed.
    std::shared_ptr<Value> EraseLocked(const Key& key) REQUIRES(mutex) {
      auto it = map.find(key);
      if (it == map.end()) return nullptr;
      return EraseLocked(it);
    }
    std::shared_ptr<Value> EraseLocked(typename decltype(map)::iterator it) REQUIRES(mutex) {
      const auto node = it->second;
      map.erase(it);
      ZIGGY_ASSERT(usage_charge >= node->charge);
      usage_charge -= node->charge;
      std::shared_ptr<Value> value = std::move(node->value);
      lru.erase(node);
      return value;
    }

    // Forgets the pinned values released since the last call.
    void PrunePinnedLocked() REQUIRES(mutex) {
      if (pinned.empty()) return;
      size_t released_charge = 0;  // summed outside the lambda, which the analysis cannot see
      std::erase_if(pinned, [&released_charge](const Pinned& p) {
        if (!p.value.expired()) return false;
        released_charge += p.charge;
        return true;
      });
      ZIGGY_ASSERT(pinned_charge >= released_charge);
      pinned_charge -= released_charge;
    }
  };

  // The first (capacity % num_shards) shards take one unit more, so budgets sum to capacity.
  size_t ShardCapacity(size_t capacity_charge, size_t shard_index) const {
    return capacity_charge / num_shards() + (shard_index < capacity_charge % num_shards() ? 1 : 0);
  }

  // With charge_pinned_evictions_, a value leaving the cache (evicted, replaced or erased) that
  // is still held elsewhere stays charged, as pinned, until its last holder lets go.
  void KeepChargedIfHeld(Shard* shard, const std::shared_ptr<Value>& value, size_t charge)
      REQUIRES(shard->mutex) {
    // use_count is exact enough here: a holder that lets go right after the test is forgotten
    // by the next prune, one taking a new reference can only do so through the cache.
    if (!charge_pinned_evictions_ || value.use_count() <= 1) return;
    shard->pinned.push_back(Pinned{value, charge});
    shard->pinned_charge += charge;
  }

  // Removes the entry for key, if any, into *dropped (charged as pinned if still held).
  void DropLocked(Shard* shard, const Key& key, DroppedValues* dropped) REQUIRES(shard->mutex) {
    auto it = shard->map.find(key);
    if (it == shard->map.end()) return;
    KeepChargedIfHeld(shard, it->second->value, it->second->charge);
    dropped->Add(shard->EraseLocked(it));
  }

  // Evicts least recently used entries of `shard` while it is over its budget and holds more
  // than entries_kept_min entries. Returns the number evicted.
  size_t EvictLocked(Shard* shard, size_t entries_kept_min, DroppedValues* dropped)
      REQUIRES(shard->mutex) {
    // Pruning walks every pinned value: done only when the shard is over budget.
    if (shard->usage_charge + shard->pinned_charge > shard->capacity_charge) {
      shard->PrunePinnedLocked();
    }
    size_t evicted = 0;
    while (shard->usage_charge + shard->pinned_charge > shard->capacity_charge &&
           shard->lru.size() > entries_kept_min) {
      DropLocked(shard, shard->lru.back().key, dropped);
      shard->evictions.fetch_add(1, std::memory_order_relaxed);
      ++evicted;
    }
    return evicted;
  }

  // Shards take the top bits of a remixed hash: std::hash of an integer is often the identity,
  // whose low bits (e.g. aligned offsets) would pile keys into a few shards, and the map's
  // buckets already consume the low bits.
  Shard& ShardFor(const Key& key) {
    if (shard_bits_ == 0) return shards_[0];
    const uint64_t mixed = static_cast<uint64_t>(hasher_(key)) * 0x9e3779b97f4a7c15ULL;
    return shards_[mixed >> (64 - shard_bits_)];
  }

  std::atomic<size_t> capacity_charge_;
  const int shard_bits_;
  const bool charge_pinned_evictions_;
  const Hash hasher_{};
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_LRU_CACHE_H_
