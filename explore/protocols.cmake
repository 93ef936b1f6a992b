# The protocols and the clauses each one's checks judge ("name|clauses"),
# for the ctest names; cf_explore --clauses fails if a protocol's own list
# differs, so this list cannot drift from the code.
set(CF_EXPLORE_PROTOCOL_LIST
  "future.state_machine|FUT-CANCEL-1 FUT-CANCEL-2 FUT-STATE-2 FUT-STATE-3 FUT-STATE-4 FUT-SET-1 FUT-SET-5 FUT-CB-1 FUT-CB-3 FUT-RESULT-1"
  "future.result_wait|FUT-RESULT-1 FUT-RESULT-4 FUT-RESULT-5"
)
