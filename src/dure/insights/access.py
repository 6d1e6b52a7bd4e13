"""Who may set the policy targets: platform admins and support-centre staff. The dashboard
itself is public: aggregate counts, no personal data."""

from __future__ import annotations

from typing import Any

from dure.directory.access import roles_of


def can_set_targets(user: Any) -> bool:
    return roles_of(user).is_staff
