from django.core.management.base import BaseCommand

from dure.directory.reference import load_all


class Command(BaseCommand):
    help = "기준 정보(시도·시군구, 표준산업분류, 전략 분야, 출연연구기관)를 불러옵니다. 여러 번 실행해도 안전합니다."

    def handle(self, *args, **options):
        counts = load_all()
        for key, value in counts.items():
            self.stdout.write(f"{key}: {value}")
