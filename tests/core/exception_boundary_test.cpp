#include "woodshed/core/exception_boundary.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace woodshed::core {
namespace {

TEST(ExceptionBoundary, TurnsStdExceptionsIntoAMessage) {
  const bool ok = callAtBoundary("test_entry", [] { throw std::runtime_error("the file is not audio"); });
  EXPECT_FALSE(ok);
  EXPECT_STREQ(lastBoundaryError(), "the file is not audio");
}

TEST(ExceptionBoundary, CatchesNonStandardExceptions) {
  EXPECT_FALSE(callAtBoundary("test_entry", [] { throw 42; }));
  EXPECT_STREQ(lastBoundaryError(), "unknown error");
}

TEST(ExceptionBoundary, ClearsTheErrorAfterASuccess) {
  callAtBoundary("test_entry", [] { throw std::runtime_error("x"); });
  int calls = 0;
  EXPECT_TRUE(callAtBoundary("test_entry", [&] { ++calls; }));
  EXPECT_EQ(calls, 1);
  EXPECT_STREQ(lastBoundaryError(), "");
}

TEST(ExceptionBoundary, InjectedFaultFiresOnceAndOnlyWhenEnabled) {
  EXPECT_FALSE(armFault("ws_entry")) << "disabled by default";
  setFaultInjectionEnabled(true);
  ASSERT_TRUE(armFault("ws_entry"));
  int calls = 0;
  EXPECT_TRUE(callAtBoundary("other_entry", [&] { ++calls; }));
  EXPECT_FALSE(callAtBoundary("ws_entry", [&] { ++calls; }));
  EXPECT_EQ(std::string(lastBoundaryError()), "injected fault in ws_entry");
  EXPECT_TRUE(callAtBoundary("ws_entry", [&] { ++calls; })) << "one-shot";
  EXPECT_EQ(calls, 2);
  setFaultInjectionEnabled(false);
}

}  // namespace
}  // namespace woodshed::core
