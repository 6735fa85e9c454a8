#pragma once

// Clang's thread-safety analysis (-Wthread-safety): a member marked
// TC_GUARDED_BY(mu_) may only be touched with mu_ held, a function marked
// TC_REQUIRES(mu_) only called with it held. The checking build is the
// clang build of `make test` (scripts/test.sh); GCC ignores the attributes.
#if defined(__clang__)
#define TC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TC_THREAD_ANNOTATION(x)
#endif

#define TC_CAPABILITY(x) TC_THREAD_ANNOTATION(capability(x))
#define TC_SCOPED_CAPABILITY TC_THREAD_ANNOTATION(scoped_lockable)
#define TC_GUARDED_BY(x) TC_THREAD_ANNOTATION(guarded_by(x))
#define TC_PT_GUARDED_BY(x) TC_THREAD_ANNOTATION(pt_guarded_by(x))
#define TC_ACQUIRED_AFTER(...) TC_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define TC_REQUIRES(...) TC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define TC_EXCLUDES(...) TC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define TC_ACQUIRE(...) TC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define TC_RELEASE(...) TC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TC_TRY_ACQUIRE(...) TC_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define TC_RETURN_CAPABILITY(x) TC_THREAD_ANNOTATION(lock_returned(x))
#define TC_NO_THREAD_SAFETY_ANALYSIS TC_THREAD_ANNOTATION(no_thread_safety_analysis)
