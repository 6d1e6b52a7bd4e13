from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dure.core.demo import load_all_demo
from dure.directory.demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = (
        "개발용 데모 데이터와 데모 계정을 만듭니다 (DEBUG 모드에서만). 여러 번 실행해도 안전합니다."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo data is for development only (DEBUG is off)")
        counts = load_all_demo()
        for key, value in counts.items():
            self.stdout.write(f"{key}: {value}")
        self.stdout.write(
            f"demo accounts (password {DEMO_PASSWORD}): " + ", ".join(u[0] for u in DEMO_USERS)
        )
