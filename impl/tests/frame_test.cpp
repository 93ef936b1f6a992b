// The frame decoder treats its input as untrusted [PPE-FRAME-1]: every
// malformed input is a FrameError, never a crash, an over-read or a large
// allocation; a well-formed stream decodes byte by byte or all at once.
#include "cf/detail/frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cf::detail {
namespace {

std::string result_body() {
  BodyWriter w;
  w.u64(7).u8(0).u8(1).u64(2).bytes("ab").bytes("");
  return w.take();
}

TEST(FrameDecoder, DecodesWholeAndBytewise) {
  std::string stream =
      encode_frame(FrameType::kResult, result_body()) + encode_frame(FrameType::kCall, "xyz");
  FrameDecoder whole;
  whole.feed(stream.data(), stream.size());
  auto a = whole.next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->type, FrameType::kResult);
  EXPECT_EQ(a->body, result_body());
  auto b = whole.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->body, "xyz");
  EXPECT_FALSE(whole.next());

  FrameDecoder bytewise;
  int frames = 0;
  for (char c : stream) {
    bytewise.feed(&c, 1);
    while (bytewise.next()) ++frames;
  }
  EXPECT_EQ(frames, 2);
  EXPECT_EQ(bytewise.buffered(), 0u);
}

TEST(FrameDecoder, TruncatedFrameWaitsAndLeavesBytesBuffered) {
  std::string frame = encode_frame(FrameType::kCall, "hello");
  FrameDecoder d;
  d.feed(frame.data(), frame.size() - 1);
  EXPECT_FALSE(d.next());
  EXPECT_EQ(d.buffered(), frame.size() - 1);  // EOF now = a frame cut short
}

void expect_rejected(std::string bytes) {
  FrameDecoder d;
  d.feed(bytes.data(), bytes.size());
  EXPECT_THROW(d.next(), FrameError);
  EXPECT_THROW(d.next(), FrameError);  // stays failed
}

TEST(FrameDecoder, RejectsBadMagicAtTheFirstByte) { expect_rejected("X"); }

TEST(FrameDecoder, RejectsWrongVersion) {
  std::string f = encode_frame(FrameType::kCall, "");
  f[4] = 9;
  expect_rejected(f);
}

TEST(FrameDecoder, RejectsUnknownType) {
  std::string f = encode_frame(FrameType::kCall, "");
  f[5] = 0x7f;
  expect_rejected(f);
  f[5] = 0;
  expect_rejected(f);
}

TEST(FrameDecoder, RejectsNonZeroReserved) {
  std::string f = encode_frame(FrameType::kCall, "");
  f[7] = 1;
  expect_rejected(f);
}

TEST(FrameDecoder, RejectsOversizedLengthBeforeReadingTheBody) {
  std::string f = encode_frame(FrameType::kCall, "");
  f[8] = f[9] = f[10] = f[11] = '\xff';  // 4 GiB claimed, nothing sent
  expect_rejected(f);
}

TEST(FrameEncoder, RefusesOversizedBody) {
  EXPECT_THROW(encode_frame(FrameType::kCall, std::string(kMaxFrameBody + 1, 'x')), FrameError);
}

TEST(BodyReader, ReadsWhatWasWritten) {
  std::string body = result_body();
  BodyReader r(body);
  EXPECT_EQ(r.u64(), 7u);
  EXPECT_EQ(r.u8(), 0);
  EXPECT_EQ(r.u8(), 1);
  EXPECT_EQ(r.count(8), 2u);
  EXPECT_EQ(r.bytes(), "ab");
  EXPECT_EQ(r.bytes(), "");
  EXPECT_NO_THROW(r.finish());
}

TEST(BodyReader, RejectsTruncation) {
  std::string body = result_body();
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    BodyReader r(std::string_view(body).substr(0, cut));
    EXPECT_THROW(
        {
          r.u64();
          r.u8();
          r.u8();
          auto n = r.count(8);
          for (std::size_t i = 0; i < n; ++i) r.bytes();
          r.finish();
        },
        FrameError)
        << "cut at " << cut;
  }
}

TEST(BodyReader, RejectsLyingLengthsAndCounts) {
  BodyWriter w;
  w.u64(~0ull);
  std::string huge = w.take();
  EXPECT_THROW(BodyReader(huge).bytes(), FrameError);
  EXPECT_THROW(BodyReader(huge).count(8), FrameError);
}

TEST(BodyReader, RejectsTrailingBytes) {
  std::string body = result_body() + "!";
  BodyReader r(body);
  r.u64();
  r.u8();
  r.u8();
  auto n = r.count(8);
  for (std::size_t i = 0; i < n; ++i) r.bytes();
  EXPECT_THROW(r.finish(), FrameError);
}

TEST(ResultFrame, RoundTripsAResultAndAnError) {
  ResultFrame ok{7, false, true, {"ab", ""}, "", ""};
  auto parsed = parse_result_frame({FrameType::kResult, encode_result_body(ok)});
  EXPECT_EQ(parsed.id, 7u);
  EXPECT_FALSE(parsed.exiting);
  ASSERT_TRUE(parsed.ok);
  EXPECT_EQ(parsed.results, (std::vector<std::string>{"ab", ""}));

  ResultFrame error{8, true, false, {}, "std::runtime_error", "boom"};
  parsed = parse_result_frame({FrameType::kResult, encode_result_body(error)});
  EXPECT_TRUE(parsed.exiting);
  ASSERT_FALSE(parsed.ok);
  EXPECT_EQ(parsed.error_type, "std::runtime_error");
  EXPECT_EQ(parsed.error_message, "boom");
}

TEST(ResultFrame, RejectsOtherTypesFlagBytesAndTrailingBytes) {
  EXPECT_THROW(parse_result_frame({FrameType::kCall, result_body()}), FrameError);
  BodyWriter bad_flag;
  bad_flag.u64(7).u8(2).u8(1).u64(0);
  EXPECT_THROW(parse_result_frame({FrameType::kResult, bad_flag.take()}), FrameError);
  EXPECT_THROW(parse_result_frame({FrameType::kResult, result_body() + "x"}), FrameError);
}

TEST(InitFailedFrame, RoundTripsAndRefusesOtherFramesAndTrailingBytes) {
  InitFailedFrame report{"std::runtime_error", "initializer failed"};
  std::string body = encode_init_failed_body(report);
  auto parsed = parse_init_failed_frame({FrameType::kInitFailed, body});
  EXPECT_EQ(parsed.error_type, "std::runtime_error");
  EXPECT_EQ(parsed.error_message, "initializer failed");
  EXPECT_THROW(parse_init_failed_frame({FrameType::kResult, body}), FrameError);
  EXPECT_THROW(parse_init_failed_frame({FrameType::kInitFailed, body + "x"}), FrameError);
  EXPECT_THROW(parse_init_failed_frame({FrameType::kInitFailed, body.substr(0, 5)}), FrameError);
}

TEST(CallFrame, RoundTripsAndRefusesOtherFrames) {
  Frame frame = decode_whole_frame(encode_call_frame(9, "square", {"a", "", "bc"}));
  CallFrame call = parse_call_frame(frame);
  EXPECT_EQ(call.id, 9u);
  EXPECT_EQ(call.task, "square");
  EXPECT_EQ(call.args, (std::vector<std::string>{"a", "", "bc"}));
  EXPECT_THROW(parse_call_frame(Frame{FrameType::kResult, frame.body}), FrameError);
  EXPECT_THROW(parse_call_frame(Frame{FrameType::kCall, frame.body + "x"}), FrameError);
}

TEST(DecodeWholeFrame, RefusesPartsAndExtras) {
  std::string f = encode_frame(FrameType::kCall, "abc");
  EXPECT_EQ(decode_whole_frame(f).body, "abc");
  EXPECT_THROW(decode_whole_frame(f.substr(0, f.size() - 1)), FrameError);
  EXPECT_THROW(decode_whole_frame(f + f), FrameError);
  EXPECT_THROW(decode_whole_frame(""), FrameError);
}

}  // namespace
}  // namespace cf::detail
