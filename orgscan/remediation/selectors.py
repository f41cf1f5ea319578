"""The event selectors ``remediate --apply`` writes to make a trail record every management
event without dropping what else it records.

``PutEventSelectors`` replaces all of a trail's selectors. The plan shows the one management
selector; applied, it is merged into what the trail has now, in the trail's own form: advanced
selectors stay advanced (every selector of another category kept, the management ones replaced
by ``eventCategory = Management`` alone), basic selectors stay basic (each data-event selector
kept for its data resources, management events recorded by one selector, All, no source
excluded).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orgscan.remediation.trail_steps import ADVANCED_MANAGEMENT_SELECTOR, MANAGEMENT_SELECTOR


def _is_management(selector: Mapping[str, Any]) -> bool:
    return any(
        field.get("Field") == "eventCategory" and field.get("Equals") == ["Management"]
        for field in selector.get("FieldSelectors", [])
        if isinstance(field, Mapping)
    )


def merged_selectors(current: Mapping[str, Any]) -> dict[str, Any]:
    """The ``PutEventSelectors`` selector parameter (``AdvancedEventSelectors`` or
    ``EventSelectors``) for a trail whose ``GetEventSelectors`` answer is ``current``."""
    advanced = [s for s in current.get("AdvancedEventSelectors") or [] if isinstance(s, Mapping)]
    if advanced:
        kept = [dict(s) for s in advanced if not _is_management(s)]
        return {"AdvancedEventSelectors": [dict(ADVANCED_MANAGEMENT_SELECTOR), *kept]}
    kept = [
        {
            "ReadWriteType": selector.get("ReadWriteType", "All"),
            # Management events come from the first selector: one place, every source.
            "IncludeManagementEvents": False,
            "DataResources": selector["DataResources"],
        }
        for selector in current.get("EventSelectors") or []
        if isinstance(selector, Mapping) and selector.get("DataResources")
    ]
    return {"EventSelectors": [dict(MANAGEMENT_SELECTOR), *kept]}
