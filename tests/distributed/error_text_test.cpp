// error_text: c10d's errors (c10::Error, whose what() carries a backtrace under LibTorch 2.x)
// reach a rank's message as their reason alone; other exceptions as they are.

#include "gear/host/distributed/error_text.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace gear::host {
namespace {

TEST(ErrorText, AC10ErrorGivesItsReasonWithoutTheBacktrace) {
  try {
    TORCH_CHECK(false, "The server socket has failed to listen on any local network address.");
  } catch (const std::exception& e) {
    const std::string text = error_text(e);
    EXPECT_NE(std::string(e.what()).find("Exception raised from"), std::string::npos)
        << "the premise: c10 appends where it was raised";
    EXPECT_EQ(text, "The server socket has failed to listen on any local network address.");
  }
}

TEST(ErrorText, OtherExceptionsKeepTheirMessage) {
  EXPECT_EQ(error_text(std::runtime_error("Connection reset by peer")), "Connection reset by peer");
}

}  // namespace
}  // namespace gear::host
