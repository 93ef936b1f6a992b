#include "cf/detail/frame.hpp"

#include <cstring>

namespace cf::detail {
namespace {

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

bool known_type(std::uint8_t t) { return t >= 1 && t <= 5; }

bool flag(BodyReader& in) {
  std::uint8_t v = in.u8();
  if (v > 1) throw FrameError("flag byte is neither 0 nor 1");
  return v == 1;
}

}  // namespace

std::string encode_frame(FrameType type, std::string_view body) {
  if (body.size() > kMaxFrameBody) throw FrameError("frame body too large");
  std::string out(kFrameMagic, 4);
  out.push_back(static_cast<char>(kFrameVersion));
  out.push_back(static_cast<char>(type));
  put_le(out, 0, 2);
  put_le(out, body.size(), 4);
  out.append(body);
  return out;
}

Frame decode_whole_frame(std::string_view bytes) {
  FrameDecoder decoder;
  decoder.feed(bytes.data(), bytes.size());
  auto frame = decoder.next();
  if (!frame || decoder.buffered() != 0) throw FrameError("not exactly one frame");
  return std::move(*frame);
}

void FrameDecoder::feed(const char* data, std::size_t size) {
  // Compact once the consumed prefix dominates, so a long stream of small
  // frames does not grow the buffer.
  if (pos_ > 0 && pos_ >= buffer_.size() / 2) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(data, size);
}

std::optional<Frame> FrameDecoder::next() {
  if (failed_) throw FrameError("decoder already failed");
  std::size_t have = buffer_.size() - pos_;
  const char* p = buffer_.data() + pos_;
  // Check the header fields as soon as their bytes arrive: garbage fails at
  // once instead of waiting for a body that never comes.
  auto fail = [this](const char* why) {
    failed_ = true;
    throw FrameError(why);
  };
  if (std::memcmp(p, kFrameMagic, have < 4 ? have : 4) != 0) fail("bad magic");
  if (have >= 5 && static_cast<std::uint8_t>(p[4]) != kFrameVersion) fail("unsupported version");
  if (have >= 6 && !known_type(static_cast<std::uint8_t>(p[5]))) fail("unknown frame type");
  if (have >= 8 && get_le(p + 6, 2) != 0) fail("reserved header bytes are not zero");
  if (have < kFrameHeader) return std::nullopt;
  std::uint64_t length = get_le(p + 8, 4);
  if (length > kMaxFrameBody) fail("frame body exceeds the size limit");
  if (have < kFrameHeader + length) return std::nullopt;
  Frame frame{static_cast<FrameType>(p[5]), std::string(p + kFrameHeader, length)};
  pos_ += kFrameHeader + length;
  return frame;
}

BodyWriter& BodyWriter::u8(std::uint8_t v) {
  put_le(out_, v, 1);
  return *this;
}
BodyWriter& BodyWriter::u64(std::uint64_t v) {
  put_le(out_, v, 8);
  return *this;
}
BodyWriter& BodyWriter::bytes(std::string_view v) {
  put_le(out_, v.size(), 8);
  out_.append(v);
  return *this;
}

void BodyReader::need(std::size_t n) const {
  if (in_.size() - pos_ < n) throw FrameError("truncated frame body");
}
std::uint8_t BodyReader::u8() {
  need(1);
  return static_cast<std::uint8_t>(in_[pos_++]);
}
std::uint64_t BodyReader::u64() {
  need(8);
  auto v = get_le(in_.data() + pos_, 8);
  pos_ += 8;
  return v;
}
std::string BodyReader::bytes() {
  std::uint64_t n = u64();
  need(n);  // n <= remaining, so the copy is bounded by the frame
  std::string out(in_.substr(pos_, n));
  pos_ += n;
  return out;
}
std::size_t BodyReader::count(std::size_t min_item) {
  std::uint64_t n = u64();
  if (min_item == 0) min_item = 1;
  if (n > (in_.size() - pos_) / min_item) throw FrameError("item count exceeds the frame body");
  return static_cast<std::size_t>(n);
}
void BodyReader::finish() const {
  if (pos_ != in_.size()) throw FrameError("trailing bytes in frame body");
}

std::string encode_call_frame(std::uint64_t id, std::string_view task,
                              const std::vector<std::string>& args) {
  BodyWriter body;
  body.u64(id).bytes(task).u64(args.size());
  for (const auto& a : args) body.bytes(a);
  return encode_frame(FrameType::kCall, body.take());
}

CallFrame parse_call_frame(const Frame& frame) {
  if (frame.type != FrameType::kCall) throw FrameError("unexpected frame type");
  BodyReader in(frame.body);
  CallFrame call;
  call.id = in.u64();
  call.task = in.bytes();
  std::size_t n = in.count(8);
  call.args.reserve(n);
  for (std::size_t i = 0; i < n; ++i) call.args.push_back(in.bytes());
  in.finish();
  return call;
}

std::string encode_init_failed_body(const InitFailedFrame& report) {
  BodyWriter out;
  out.bytes(report.error_type).bytes(report.error_message);
  return out.take();
}

InitFailedFrame parse_init_failed_frame(const Frame& frame) {
  if (frame.type != FrameType::kInitFailed) throw FrameError("unexpected frame type");
  BodyReader in(frame.body);
  InitFailedFrame report;
  report.error_type = in.bytes();
  report.error_message = in.bytes();
  in.finish();
  return report;
}

std::string encode_result_body(const ResultFrame& reply) {
  BodyWriter out;
  out.u64(reply.id).u8(reply.exiting ? 1 : 0).u8(reply.ok ? 1 : 0);
  if (reply.ok) {
    out.u64(reply.results.size());
    for (const auto& r : reply.results) out.bytes(r);
  } else {
    out.bytes(reply.error_type).bytes(reply.error_message);
  }
  return out.take();
}

ResultFrame parse_result_frame(const Frame& frame) {
  if (frame.type != FrameType::kResult) throw FrameError("unexpected frame type");
  BodyReader in(frame.body);
  ResultFrame reply;
  reply.id = in.u64();
  reply.exiting = flag(in);
  reply.ok = flag(in);
  if (reply.ok) {
    std::size_t n = in.count(8);
    reply.results.reserve(n);
    for (std::size_t i = 0; i < n; ++i) reply.results.push_back(in.bytes());
  } else {
    reply.error_type = in.bytes();
    reply.error_message = in.bytes();
  }
  in.finish();
  return reply;
}

}  // namespace cf::detail
