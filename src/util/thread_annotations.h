// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html).
//
// Under clang with -Wthread-safety (the `thread-safety` preset, a stage of `make test`) they let
// the compiler check the lock discipline: which mutex guards a field, which a function needs held
// or not held, which functions take and release it. Under other compilers they expand to nothing.
// How to use them in this code base: src/util/mutex.h and docs/design/concurrency.md.
#ifndef ZIGGYDB_UTIL_THREAD_ANNOTATIONS_H_
#define ZIGGYDB_UTIL_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define ZIGGY_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ZIGGY_THREAD_ANNOTATION(x)
#endif

// On a class: its objects are capabilities (mutexes); `name` appears in diagnostics.
#define CAPABILITY(name) ZIGGY_THREAD_ANNOTATION(capability(name))
// On a class: an RAII object that holds (or has released) a capability for its lifetime.
#define SCOPED_CAPABILITY ZIGGY_THREAD_ANNOTATION(scoped_lockable)

// On a field: reading or writing it requires holding `mu`.
#define GUARDED_BY(mu) ZIGGY_THREAD_ANNOTATION(guarded_by(mu))
// On a pointer field: the pointee is guarded by `mu` (the pointer itself is not).
#define PT_GUARDED_BY(mu) ZIGGY_THREAD_ANNOTATION(pt_guarded_by(mu))

// On a function: the caller must hold the capabilities on entry; they are held on return (the
// function may release and reacquire them in between).
#define REQUIRES(...) ZIGGY_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// On a function: the caller must not hold them (the function takes them itself).
#define EXCLUDES(...) ZIGGY_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: it acquires (releases) the capabilities, or `this` when none are named.
#define ACQUIRE(...) ZIGGY_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) ZIGGY_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// On a function: from its return on, the analysis takes the capability as held.
#define ASSERT_CAPABILITY(x) ZIGGY_THREAD_ANNOTATION(assert_capability(x))
// On a function: no analysis of its body. Each use says why the analysis cannot follow.
#define NO_THREAD_SAFETY_ANALYSIS ZIGGY_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // ZIGGYDB_UTIL_THREAD_ANNOTATIONS_H_
