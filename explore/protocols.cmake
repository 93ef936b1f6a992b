# The protocols and the clauses each one's checks judge ("name|clauses"),
# for the ctest names; cf_explore --clauses fails if a protocol's own list
# differs, so this list cannot drift from the code.
set(CF_EXPLORE_PROTOCOL_LIST
  "future.state_machine|FUT-CANCEL-1 FUT-CANCEL-2 FUT-STATE-2 FUT-STATE-3 FUT-STATE-4 FUT-SET-1 FUT-SET-5 FUT-CB-1 FUT-CB-3 FUT-RESULT-1"
  "future.result_wait|FUT-RESULT-1 FUT-RESULT-4 FUT-RESULT-5"
  "wait.first_completed|WAIT-FIRST-1 WAIT-TIMEOUT-1 WAIT-CANCEL-1"
  "wait.all_completed|WAIT-ALL-1 WAIT-CANCEL-1 WAIT-DUP-1"
  "as_completed.timeout|ASC-ALL-1 ASC-TIMEOUT-1 ASC-CANCEL-1"
  "pool.idle_notify|TPE-MAX-1 TPE-REUSE-1 EXEC-SUBMIT-1"
  "pool.idle_reuse|TPE-REUSE-1 TPE-LAZY-1 FUT-RESULT-3"
  "pool.shutdown_vs_submit|SHUT-CANCEL-1 SHUT-WAIT-1 EXEC-SUBMIT-4"
  "pool.shutdown_nowait|SHUT-NOWAIT-1 SHUT-CANCEL-1 FUT-CB-5"
  "pool.destructor_drain|SHUT-DTOR-1 SHUT-WAIT-1 SHUT-CANCEL-2"
  "pool.broken_initializer|TPE-INIT-2 TPE-INIT-3"
  "map.timeout_cancels_rest|MAP-TIMEOUT-1 MAP-TIMEOUT-2 MAP-ORDER-1"
  "process.manager_vs_worker_death|PPE-BROKEN-1 PPE-BROKEN-2 PPE-MAXTASKS-1"
)
