"""The permission matrices' world (``test_permissions_pages.world_fixtures``): built once per test
module, and every test starts from it as built, whatever the tests before it changed in the
database, in its objects or in the namespace.

Four rounds: however pytest-xdist deals them out, one worker runs at least two of them, the
later one after the earlier one changed everything it could.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from test_permissions_pages import world_fixtures

pytestmark = pytest.mark.django_db

BUILT: list[int] = []  # one entry per build in this process
MARK = "모듈 세계"


def build_world(users, org):
    from dure.directory.models import Organisation

    hanbit = org("한빛정밀")
    Organisation.objects.filter(pk=hanbit.pk).update(description=MARK)
    hanbit.refresh_from_db()
    BUILT.append(os.getpid())
    return SimpleNamespace(users=users, hanbit=hanbit, names=["한빛정밀"])


_world_once, world = world_fixtures(build_world)


@pytest.mark.parametrize("round_", range(4))
def test_every_test_starts_from_the_world_as_built(world, round_):
    from dure.directory.models import Organisation

    assert len(BUILT) == 1, "the world is built once per module"
    # what the world wrote is there, in the database and in its objects …
    assert Organisation.objects.get(pk=world.hanbit.pk).description == MARK
    assert world.hanbit.description == MARK
    assert world.names == ["한빛정밀"]
    assert not hasattr(world, "added")
    assert world.users["sme"].username == "sme"

    # … and what a test changes goes with it: the database, an object, a list, the namespace
    Organisation.objects.filter(pk=world.hanbit.pk).update(description=f"{round_}회차")
    world.hanbit.description = f"{round_}회차"
    world.names.append("바뀜")
    world.added = True
    world.users["sme"].username = "changed"
