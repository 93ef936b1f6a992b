// bench/registry.hpp — each suite file registers its rows; main calls them
// in this order, which is the order of the report. A peer whose library was
// not found at configure time registers nothing (CF_BENCH_HAVE_*).
#pragma once

namespace cf::bench {

void register_reference_thread();
void register_reference_process();
void register_reference_mpi();
void register_boost_asio();
void register_boost_thread();
void register_onetbb();
void register_std_async();
void register_qt6();

inline void register_all() {
  register_reference_thread();
#ifdef CF_BENCH_HAVE_BOOST
  register_boost_asio();
  register_boost_thread();
#endif
#ifdef CF_BENCH_HAVE_TBB
  register_onetbb();
#endif
#ifdef CF_BENCH_HAVE_QT6
  register_qt6();
#endif
  register_std_async();
  register_reference_process();
#ifdef CF_BENCH_HAVE_MPI
  register_reference_mpi();
#endif
}

}  // namespace cf::bench
