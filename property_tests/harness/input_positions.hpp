// input_positions.hpp — the suite names wait's and as_completed's futures by
// their position among the inputs; an implementation answers with futures
// (or ids of them). InputPositions maps an answer back: a future given twice
// is one future, reported at its first position [WAIT-DUP-1].
#pragma once

#include <algorithm>
#include <cstddef>
#include <unordered_map>
#include <vector>

#include "adapter.hpp"

namespace cf::conformance {

template <class Key>
class InputPositions {
 public:
  // keys[i]: what the implementation will answer for input i.
  explicit InputPositions(const std::vector<Key>& keys) {
    for (std::size_t i = 0; i < keys.size(); ++i) first_.emplace(keys[i], i);
  }
  // The first position of `key`; std::out_of_range for a future that was no input.
  std::size_t of(const Key& key) const { return first_.at(key); }
  // A wait's answer as positions, each side sorted; key_of reads a Key from
  // an element of `done` / `not_done`.
  template <class Done, class NotDone, class KeyOf>
  WaitSplit split(const Done& done, const NotDone& not_done, KeyOf key_of) const {
    WaitSplit out;
    for (const auto& f : done) out.done.push_back(of(key_of(f)));
    for (const auto& f : not_done) out.not_done.push_back(of(key_of(f)));
    std::sort(out.done.begin(), out.done.end());
    std::sort(out.not_done.begin(), out.not_done.end());
    return out;
  }

 private:
  std::unordered_map<Key, std::size_t> first_;
};

}  // namespace cf::conformance
