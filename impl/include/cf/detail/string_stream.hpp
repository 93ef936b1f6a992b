// cf/detail/string_stream.hpp — the streams cereal reads and writes through.
//
// Internal. encode()/decode() (cf/codec.hpp) run once per argument and per
// result of every process-pool call; a std::ostringstream/istringstream costs
// more to construct (its locale, its buffer copy) than encoding a small value
// (cf_bench map_chunked/reference-process). These streams append to a
// std::string and read a std::string_view in place, and each thread reuses
// one of each; a nested use (an encode inside a serialize function) gets a
// fresh one.
//
// Thread-safety: a lease is used by the thread that made it.
#pragma once

#include <algorithm>
#include <cstring>
#include <istream>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace cf::detail {

// Appends everything written to *out.
class StringSink final : public std::streambuf {
 public:
  void target(std::string* out) { out_ = out; }

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof()))
      out_->push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_->append(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::string* out_ = nullptr;
};

// Reads a string_view in place; never reads past its end.
class ViewSource final : public std::streambuf {
 public:
  void source(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // read only: the get area is never written
    setg(p, p, p + bytes.size());
  }

 protected:
  std::streamsize xsgetn(char* s, std::streamsize n) override {
    std::streamsize k = std::min<std::streamsize>(n, egptr() - gptr());
    if (k > 0) std::memcpy(s, gptr(), static_cast<std::size_t>(k));
    gbump(static_cast<int>(k));
    return k;
  }
};

// This thread's output stream, writing into `out` while the lease lives.
class EncodeLease {
 public:
  explicit EncodeLease(std::string& out) : slot_(&mine()) {
    if (slot_->busy) slot_ = &own_.emplace();
    slot_->busy = true;
    slot_->sink.target(&out);
    slot_->stream.clear();
  }
  ~EncodeLease() { slot_->busy = false; }
  EncodeLease(const EncodeLease&) = delete;
  EncodeLease& operator=(const EncodeLease&) = delete;
  std::ostream& stream() { return slot_->stream; }

 private:
  struct Slot {
    StringSink sink;
    std::ostream stream{&sink};
    bool busy = false;
  };
  static Slot& mine() {
    thread_local Slot slot;
    return slot;
  }
  Slot* slot_;
  std::optional<Slot> own_;  // made only when this thread's slot is busy
};

// This thread's input stream, reading `bytes` while the lease lives.
class DecodeLease {
 public:
  explicit DecodeLease(std::string_view bytes) : slot_(&mine()) {
    if (slot_->busy) slot_ = &own_.emplace();
    slot_->busy = true;
    slot_->source.source(bytes);
    slot_->stream.clear();
  }
  ~DecodeLease() { slot_->busy = false; }
  DecodeLease(const DecodeLease&) = delete;
  DecodeLease& operator=(const DecodeLease&) = delete;
  std::istream& stream() { return slot_->stream; }
  // True when every byte was read.
  bool at_end() { return stream().rdbuf()->sgetc() == std::char_traits<char>::eof(); }

 private:
  struct Slot {
    ViewSource source;
    std::istream stream{&source};
    bool busy = false;
  };
  static Slot& mine() {
    thread_local Slot slot;
    return slot;
  }
  Slot* slot_;
  std::optional<Slot> own_;
};

}  // namespace cf::detail
