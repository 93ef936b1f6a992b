// Fact 13: QtFuture::whenAll / whenAny exist in Qt 6.4 (since 6.3).
//  - whenAny finishes on the first input to finish (FIRST_COMPLETED), with its index;
//  - whenAll finishes when every input is finished, failed and cancelled ones
//    included (ALL_COMPLETED); there is no FIRST_EXCEPTION mode and no timeout;
//  - both are built on then() of each input, so they take the inputs' single
//    continuation slot (fact 3): a later then() on an input (or a duplicate
//    input) makes whenAny report that input as "first completed" while it is
//    still pending; a then() attached before whenAll is silently dropped.
#include <QList>
#include <QPromise>
#include <stdexcept>

#include "qtfacts.hpp"

using namespace qtfacts;

struct Source {
  QPromise<int> p;
  QFuture<int> f;
  Source() {
    p.start();
    f = p.future();
  }
  void succeed(int v) {
    p.addResult(v);
    p.finish();
  }
};

int main() {
  // whenAny: FIRST_COMPLETED.
  Source a1, a2;
  QList<QFuture<int>> anyIn{a1.f, a2.f};
  auto any = QtFuture::whenAny(anyIn.begin(), anyIn.end());
  const bool anyPendingBefore = !any.isFinished();
  a2.succeed(2);
  std::printf("whenAny(a1,a2), a2 done      -> finished=%d index=%lld value=%d, a1 %s\n",
              any.isFinished(), (long long)any.result().index, any.result().future.result(),
              state(a1.f).c_str());
  const bool firstCompleted =
      anyPendingBefore && any.isFinished() && any.result().index == 1 && !a1.f.isFinished();
  a1.succeed(1);

  // whenAll: ALL_COMPLETED with a failure and a cancellation among the inputs.
  Source b1, b2, b3;
  QList<QFuture<int>> allIn{b1.f, b2.f, b3.f};
  auto all = QtFuture::whenAll(allIn.begin(), allIn.end());
  b2.p.setException(std::make_exception_ptr(std::runtime_error("x")));
  b2.p.finish();
  b3.f.cancel();
  b3.p.finish();
  const bool pendingAfterFailure = !all.isFinished();
  b1.succeed(1);
  std::printf(
      "whenAll(ok,failed,cancelled) -> pending after the failure=%d, finished after the last=%d, "
      "%lld futures\n",
      pendingAfterFailure, all.isFinished(), (long long)all.result().size());
  const bool allCompleted = pendingAfterFailure && all.isFinished() && all.result().size() == 3;

  // Empty inputs.
  QList<QFuture<int>> none;
  auto allEmpty = QtFuture::whenAll(none.begin(), none.end());
  auto anyEmpty = QtFuture::whenAny(none.begin(), none.end());
  std::printf(
      "empty input                  -> whenAll finished=%d size=%lld; whenAny finished=%d "
      "index=%lld\n",
      allEmpty.isFinished(), (long long)allEmpty.result().size(), anyEmpty.isFinished(),
      (long long)anyEmpty.result().index);

  // A later then() on an input hijacks whenAny.
  Source c1, c2;
  QList<QFuture<int>> hijackIn{c1.f, c2.f};
  auto hijacked = QtFuture::whenAny(hijackIn.begin(), hijackIn.end());
  c1.f.then([](int) {});
  std::printf("whenAny(c1,c2); c1.then(...) -> whenAny finished=%d index=%lld while c1 %s\n",
              hijacked.isFinished(),
              hijacked.isFinished() ? (long long)hijacked.result().index : -1LL,
              state(c1.f).c_str());
  const bool hijack = hijacked.isFinished() && hijacked.result().index == 0 && !c1.f.isFinished();

  // A duplicate input does the same.
  Source d1, d2;
  QList<QFuture<int>> dupIn{d1.f, d1.f, d2.f};
  auto dup = QtFuture::whenAny(dupIn.begin(), dupIn.end());
  std::printf("whenAny(d1,d1,d2)            -> finished at once=%d index=%lld while d1 %s\n",
              dup.isFinished(), dup.isFinished() ? (long long)dup.result().index : -1LL,
              state(d1.f).c_str());
  const bool dupHijack = dup.isFinished() && !d1.f.isFinished();

  // The same for whenAll: a later then() on h1 counts h1 as done.
  Source h1, h2;
  QList<QFuture<int>> hIn{h1.f, h2.f};
  auto hAll = QtFuture::whenAll(hIn.begin(), hIn.end());
  h1.f.then([](int) {});
  h2.succeed(2);
  std::printf("whenAll(h1,h2); h1.then(...) -> whenAll finished=%d while h1 %s\n",
              hAll.isFinished(), state(h1.f).c_str());
  const bool allHijack = hAll.isFinished() && !h1.f.isFinished();

  // A duplicate in whenAll happens to work: the displaced slot counts once at
  // once, the surviving one when the input finishes.
  Source g1;
  QList<QFuture<int>> gIn{g1.f, g1.f};
  auto gAll = QtFuture::whenAll(gIn.begin(), gIn.end());
  const bool gPending = !gAll.isFinished();
  g1.succeed(1);
  std::printf("whenAll(g1,g1)               -> pending while g1 pending=%d, finished after=%d\n",
              gPending, gAll.isFinished());

  // A then() attached before whenAll is dropped.
  Source e1;
  std::atomic<bool> userThenRan{false};
  e1.f.then([&](int) { userThenRan = true; });
  QList<QFuture<int>> e{e1.f};
  auto eAll = QtFuture::whenAll(e.begin(), e.end());
  e1.succeed(5);
  std::printf("e1.then(user); whenAll(e1)   -> whenAll finished=%d, user continuation ran=%d\n",
              eAll.isFinished(), userThenRan.load());

  c1.succeed(1);
  c2.succeed(2);
  d1.succeed(1);
  d2.succeed(2);
  h1.succeed(1);
  verdict(firstCompleted,
          "whenAny gives FIRST_COMPLETED semantics (index of the first input to finish)");
  verdict(
      allCompleted,
      "whenAll gives ALL_COMPLETED semantics: a failed or cancelled input does not end it early");
  verdict(allEmpty.isFinished() && anyEmpty.isFinished() && anyEmpty.result().index == -1,
          "empty input: both are ready at once (whenAny with index -1)");
  verdict(hijack && dupHijack,
          "a later then() on an input, or a duplicate input, makes whenAny finish at once naming a "
          "pending future");
  verdict(allHijack, "a later then() on an input makes whenAll finish while that input is pending");
  verdict(gPending && gAll.isFinished(), "a duplicate input to whenAll still waits for it");
  verdict(eAll.isFinished() && !userThenRan,
          "whenAll silently drops a continuation attached to an input before it");
  return 0;
}
