// encode()/decode() (cf/codec.hpp) through the reused per-thread streams
// (cf/detail/string_stream.hpp): values round-trip, a payload with bytes
// left over or cut short is refused, and an encode or decode nested in a
// serialize function (which finds this thread's stream in use) still works.
#include "cf/codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace cf::detail {
namespace {

TEST(Codec, ValuesRoundTrip) {
  auto value = std::make_tuple(std::string("hello"), 42, std::vector<int>{1, 2, 3});
  EXPECT_EQ(decode<decltype(value)>(encode(value)), value);
  EXPECT_EQ(decode<int>(encode(-7)), -7);
  std::string big(1 << 20, 'x');
  EXPECT_EQ(decode<std::string>(encode(big)), big);
}

TEST(Codec, TrailingOrMissingBytesAreRefused) {
  std::string bytes = encode(5);
  EXPECT_THROW(decode<int>(bytes + "!"), std::runtime_error);
  EXPECT_THROW(decode<int>(std::string_view(bytes).substr(0, bytes.size() - 1)), std::exception);
  // The thread's streams are usable again after a failure.
  EXPECT_EQ(decode<int>(encode(6)), 6);
}

// A type whose serialization encodes and decodes another value itself.
struct Nested {
  int value = 0;
  template <class Archive>
  void save(Archive& archive) const {
    archive(encode(std::to_string(value)));
  }
  template <class Archive>
  void load(Archive& archive) {
    std::string inner;
    archive(inner);
    value = std::stoi(decode<std::string>(inner));
  }
};

TEST(Codec, NestedEncodeAndDecodeUseTheirOwnStreams) {
  Nested n{1234};
  std::string bytes = encode(n);
  EXPECT_EQ(decode<Nested>(bytes).value, 1234);
  EXPECT_EQ(decode<int>(encode(99)), 99);
}

}  // namespace
}  // namespace cf::detail
