"""What a 20-creator Marketplace status call costs the sandbox: 5 queries whatever the
number of handles, so that it can stand in for TikTok at the Ultimate tier's 50 calls a second
beside the product. The CPU figure is printed, never asserted (benchmarks/cost.py)."""

from __future__ import annotations

from benchmarks.cost import status_call_cost


def test_a_20_creator_status_call_costs_the_sandbox_a_fixed_handful_of_queries(sandbox):
    cost = status_call_cost(sandbox.url)
    print(
        f"sandbox CPU per 20-creator status call: median {cost.cpu_ms:.2f} ms over {cost.samples} calls, "
        f"{cost.queries} queries"
    )
    assert cost.queries <= 5
