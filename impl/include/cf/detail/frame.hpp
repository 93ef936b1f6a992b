// cf/detail/frame.hpp — the wire format between a process pool and its workers.
//
// Internal. A frame is a 12-byte header (magic "CFPF", version, type, two
// reserved zero bytes, body length as a little-endian u32) and a body of at
// most kMaxFrameBody bytes. Bodies are flat records of u8/u64 fields and
// length-prefixed byte strings (BodyWriter / BodyReader); the payloads inside
// them (a task's arguments and results) are cereal archives.
//
// The parent treats every byte from a worker as untrusted [PPE-FRAME-1]:
// FrameDecoder and BodyReader check every length against what is there and
// throw FrameError for bad magic, a wrong version, an unknown type, an
// oversized or truncated body, or trailing bytes. They never read out of
// bounds and never allocate more than the bytes they were fed.
//
// Thread-safety: none; one decoder per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cf::detail {

inline constexpr char kFrameMagic[4] = {'C', 'F', 'P', 'F'};
inline constexpr std::uint8_t kFrameVersion = 1;
inline constexpr std::size_t kFrameHeader = 12;
inline constexpr std::size_t kMaxFrameBody = 64u << 20;  // 64 MiB per call's payload

enum class FrameType : std::uint8_t {
  kConfig = 1,      // parent -> worker: initializer name, max tasks
  kCall = 2,        // parent -> worker: id, task name, argument archives
  kResult = 3,      // worker -> parent: id, exiting flag, results or error
  kCallInFd = 4,    // parent -> worker, empty: the kCall frame is in the attached memfd
  kInitFailed = 5,  // worker -> parent: its initializer threw; it exits next [PPE-INIT-2]
};

struct Frame {
  FrameType type;
  std::string body;
};

class FrameError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Header + body, ready to write.
std::string encode_frame(FrameType type, std::string_view body);

// Exactly one frame and nothing else (a message of the call queue); throws
// FrameError otherwise.
Frame decode_whole_frame(std::string_view bytes);

// Splits a byte stream into frames. feed() appends bytes; next() returns the
// next complete frame, nullopt if more bytes are needed, or throws FrameError
// (after which the decoder stays failed).
class FrameDecoder {
 public:
  void feed(const char* data, std::size_t size);
  std::optional<Frame> next();
  // Bytes fed but not yet returned as frames (a partial frame at EOF means
  // the stream was cut short).
  std::size_t buffered() const { return buffer_.size() - pos_; }

 private:
  std::string buffer_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

class BodyWriter {
 public:
  BodyWriter& u8(std::uint8_t v);
  BodyWriter& u64(std::uint64_t v);
  BodyWriter& bytes(std::string_view v);
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads a body written by BodyWriter; every read is bounds-checked.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : in_(body) {}
  std::uint8_t u8();
  std::uint64_t u64();
  std::string bytes();
  // A count of items that each take at least `min_item` bytes: refuses counts
  // the remaining body cannot hold, so a lying count never drives allocation.
  std::size_t count(std::size_t min_item);
  // Throws unless every byte was read.
  void finish() const;

 private:
  void need(std::size_t n) const;
  std::string_view in_;
  std::size_t pos_ = 0;
};

// One call for a worker: the body of a kCall frame. A map chunk has one
// argument archive per input; any other call has one.
struct CallFrame {
  std::uint64_t id = 0;
  std::string task;
  std::vector<std::string> args;
};

// The whole kCall frame (header included) for a call.
std::string encode_call_frame(std::uint64_t id, std::string_view task,
                              const std::vector<std::string>& args);
// Throws FrameError unless `frame` is a kCall frame holding one CallFrame.
CallFrame parse_call_frame(const Frame& frame);

// A worker's reply to one call: the body of a kResult frame.
struct ResultFrame {
  std::uint64_t id = 0;
  bool exiting = false;  // the worker exits after this reply [PPE-MAXTASKS-1]
  bool ok = false;
  std::vector<std::string> results;  // ok: one encoded result per item of the call
  std::string error_type;            // not ok: the exception, as describe_exception gave it
  std::string error_message;
};

// A worker's report that its initializer threw: the body of a kInitFailed
// frame, the exception as describe_exception gave it.
struct InitFailedFrame {
  std::string error_type;
  std::string error_message;
};

std::string encode_init_failed_body(const InitFailedFrame& report);
// Throws FrameError unless `frame` is a kInitFailed frame holding one report.
InitFailedFrame parse_init_failed_frame(const Frame& frame);

std::string encode_result_body(const ResultFrame& reply);
// Parses an untrusted frame as a worker's reply; throws FrameError unless it
// is a kResult frame whose body is exactly one well-formed ResultFrame.
ResultFrame parse_result_frame(const Frame& frame);

}  // namespace cf::detail
