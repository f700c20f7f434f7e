"""Whether the load generator, not the server, set a run's pace.

Locust runs on the machine it measures. When it saturates its cores, or the ceiling (the
cheapest page the server can send) comes out no faster than the constant page (a real page
held in memory), the fast variants' req/s measure Locust, and their ratios are squeezed toward
1: the report says so, and the CPU-per-request figures, which do not depend on who waited for
whom, are the ones to read.
"""

from __future__ import annotations

from collections.abc import Mapping

# Locust over this share of its cores in a window: it, not the server, was the bottleneck.
LOCUST_BUSY_SHARE = 0.9
# The ceiling under this multiple of the constant page: both were held back by the same limit.
CEILING_OVER_CONSTANT = 1.1


def bottleneck_reasons(
    shares: Mapping[str, float | None], ceiling_rps: float | None, constant_rps: float | None
) -> list[str]:
    """Return why the generator was the bottleneck (empty: it was not). ``shares`` maps each
    measured window's label to the share of its cores Locust used in it; the ceiling and the
    constant page's rates are at the same page size."""
    reasons = [
        f"Locust used {share:.0%} of its cores during {label} (over {LOCUST_BUSY_SHARE:.0%})"
        for label, share in shares.items()
        if share is not None and share > LOCUST_BUSY_SHARE
    ]
    if ceiling_rps and constant_rps and ceiling_rps < CEILING_OVER_CONSTANT * constant_rps:
        reasons.append(
            f"the ceiling served {ceiling_rps:.0f} req/s, under {CEILING_OVER_CONSTANT} times the "
            f"constant page's {constant_rps:.0f}"
        )
    return reasons
