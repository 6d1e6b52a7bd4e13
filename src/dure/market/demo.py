"""Demo data for this app (called by dure.core.demo.load_all_demo)."""


def load_demo() -> dict[str, int]:
    return {}
