// libFuzzer target for the parent's side of the worker wire format
// [PPE-FRAME-1]: every byte a worker sends is untrusted.
//
// The input is split into a chunking pattern (first byte) and a byte stream
// fed to FrameDecoder in chunks of that pattern, as reads from a socket would
// deliver it. Each complete frame is parsed as a worker's reply. The target
// checks that malformed input is refused only with FrameError (the pool turns
// that into BrokenProcessPool), that the decoder stays failed after an error,
// and that a reply that parses re-encodes to the same bytes. Sanitizers
// (address, undefined) catch over-reads; libFuzzer's limits catch hangs and
// oversized allocations.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "cf/detail/frame.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// As the parent does: a worker sends results and, from a failing
// initializer, one report.
void parse_reply(const cf::detail::Frame& frame) {
  try {
    if (frame.type == cf::detail::FrameType::kInitFailed) {
      auto report = cf::detail::parse_init_failed_frame(frame);
      check(cf::detail::encode_init_failed_body(report) == frame.body);
      return;
    }
    auto reply = cf::detail::parse_result_frame(frame);
    check(cf::detail::encode_result_body(reply) == frame.body);
  } catch (const cf::detail::FrameError&) {
    // refused: the pool breaks with a clear message
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  std::size_t left = size - 1;

  cf::detail::FrameDecoder decoder;
  bool failed = false;
  while (left > 0 && !failed) {
    std::size_t n = left < chunk ? left : chunk;
    decoder.feed(bytes, n);
    bytes += n;
    left -= n;
    try {
      while (auto frame = decoder.next()) {
        check(frame->body.size() <= cf::detail::kMaxFrameBody);
        parse_reply(*frame);
      }
    } catch (const cf::detail::FrameError&) {
      failed = true;
    }
  }
  if (failed) {
    // A failed decoder never yields another frame.
    try {
      decoder.feed(bytes, left);
      (void)decoder.next();
      check(false);
    } catch (const cf::detail::FrameError&) {
    }
  }
  return 0;
}
