"""Checks: pure functions from a fetched page to findings (SPEC "Rules").

Each module declares `CHECK` (its name), `RULES` (rule metadata as data) and
`check(page, ctx) -> Iterator[Finding]`.  No I/O, no clock, no globals: the
network outcomes, axe results and the as-of date arrive in `ctx`.
"""
