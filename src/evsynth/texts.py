"""Fixed wording shared by several layers (the review codes by it, the report states it).

Plain constants only: this module imports nothing, so any layer may use it."""

__all__ = ["DIRECTION_RULE"]

DIRECTION_RULE = ("Every effect is expressed so that a positive value means improvement for the family: where the "
                  "extraction row says a higher score is not better (higher_is_better = no), the effect is multiplied "
                  "by -1. Group 1 is always the intervention group.")
