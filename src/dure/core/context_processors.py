"""Navigation per role, computed once per request."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dure.directory.access import roles_of
from dure.directory.models import Role
from dure.governance.access import OFFICER_VIEW_ROLES

# "우리 조합" for a cooperative's officers and members, read from the memberships the request
# has already loaded (no extra query on every page).
COOPERATIVE_PEOPLE_ROLES = (*OFFICER_VIEW_ROLES, Role.MEMBER)


def navigation(request):
    user = getattr(request, "user", None)
    roles = roles_of(user)
    items = [
        (reverse("home"), _("홈")),
        (reverse("directory:list"), _("기관 찾기")),
        (reverse("directory:mou_list"), _("업무협약")),
        (reverse("techbank:home"), _("기술은행")),
        (reverse("market:home"), _("장터")),
        (reverse("programs:list"), _("교육·행사")),
        (reverse("founding:home"), _("설립 상담")),
        (reverse("portal:story_list"), _("성공 사례")),
        (reverse("portal:notice_list"), _("공지사항")),
    ]
    if roles.is_staff or roles.institute_staff:
        items.append((reverse("desk:queue"), _("상담 업무")))
    else:
        items.append((reverse("desk:new"), _("애로 상담 신청")))
    if roles.authenticated:
        items.append((reverse("desk:mine"), _("내 문의")))
        if roles.orgs_with(*COOPERATIVE_PEOPLE_ROLES):
            items.append((reverse("governance:home"), _("우리 조합")))
        items.append((reverse("accounts:profile"), _("내 정보")))
    if roles.platform_admin:
        items.append((reverse("admin:index"), _("관리자")))
    path = request.path
    nav = [
        {
            "url": url,
            "label": label,
            "current": path == url or (url != "/" and path.startswith(url)),
        }
        for url, label in items
    ]
    return {"nav_items": nav, "roles": roles}
