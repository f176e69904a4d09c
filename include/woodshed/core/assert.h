#pragma once
// WOODSHED_ASSERT: checks programmer errors in debug and test builds; compiled out otherwise.
// Not for input validation: bad input gets an exception or an error return with a message.

#include <cstdio>
#include <cstdlib>

#if defined(WOODSHED_ENABLE_ASSERTS) && WOODSHED_ENABLE_ASSERTS
#define WOODSHED_ASSERT(condition, message)                                                  \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", __FILE__, __LINE__,         \
                   #condition, message);                                                     \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
#else
#define WOODSHED_ASSERT(condition, message) \
  do {                                      \
    (void)sizeof(condition);                \
  } while (false)
#endif
