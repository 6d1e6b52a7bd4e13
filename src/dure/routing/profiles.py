"""Institute profiles: what the recommender matches a request against.

Two sources, merged per institute:

* the reference data (``dure/directory/data/institutes.csv``): acronym, names, the parent
  institute and the short field list ``fields_ko``. Every institute there is routable, with
  or without a profile, and nothing else is.
* one TOML file per institute in ``data/profiles/<ACRONYM>.toml``::

      acronym = "KITECH"
      summary = "한 문단 소개"
      fields = ["주조", "금형", ...]            # technical fields and keywords
      problems = ["...", "..."]                # difficulties SMEs bring, everyday and technical

A bad file stops loading with a :class:`ProfileError` naming the file and what is wrong: a
recommender silently running without one institute's profile would route badly and nobody
would know why.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

ROUTING_DIR = Path(__file__).resolve().parent
DEFAULT_PROFILES_DIR = ROUTING_DIR / "data" / "profiles"
REFERENCE_CSV = ROUTING_DIR.parent / "directory" / "data" / "institutes.csv"

REQUIRED_KEYS = ("acronym", "summary", "fields", "problems")
MAX_ITEM_CHARS = 500


class ProfileError(ValueError):
    """A profile file that cannot be used, with the file and the reason in the message."""


@dataclass(frozen=True)
class ReferenceInstitute:
    acronym: str
    name: str
    name_en: str
    affiliated_to: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Institute:
    """A routable institute: its reference data and (if written) its profile."""

    acronym: str
    name: str
    name_en: str
    affiliated_to: str
    reference_fields: tuple[str, ...]
    summary: str = ""
    fields: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def has_profile(self) -> bool:
        return bool(self.problems)

    @property
    def all_fields(self) -> tuple[str, ...]:
        """Reference fields then profile fields, each once."""
        return tuple(dict.fromkeys((*self.reference_fields, *self.fields)))


@lru_cache(maxsize=1)
def reference_institutes() -> tuple[ReferenceInstitute, ...]:
    """The research institutes of the reference data, in the file's order."""
    with REFERENCE_CSV.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        ReferenceInstitute(
            acronym=row["acronym"].strip(),
            name=row["name_ko"].strip(),
            name_en=row["name_en"].strip(),
            affiliated_to=(row.get("affiliated_to") or "").strip(),
            fields=tuple(f.strip() for f in row["fields_ko"].split(";") if f.strip()),
        )
        for row in rows
    )


def known_acronyms() -> frozenset[str]:
    return frozenset(r.acronym for r in reference_institutes())


def profiles_dir() -> Path:
    """Where the profiles are read from (``settings.ROUTING_PROFILES_DIR`` overrides)."""
    return Path(getattr(settings, "ROUTING_PROFILES_DIR", None) or DEFAULT_PROFILES_DIR)


def _string_list(path: Path, data: dict, key: str) -> tuple[str, ...]:
    value = data[key]
    if not isinstance(value, list):
        raise ProfileError(f"{path.name}: '{key}' must be a list of strings")
    items: list[str] = []
    for position, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            raise ProfileError(f"{path.name}: '{key}' item {position} must be a non-empty string")
        if len(item) > MAX_ITEM_CHARS:
            raise ProfileError(
                f"{path.name}: '{key}' item {position} is longer than {MAX_ITEM_CHARS} characters"
            )
        items.append(" ".join(item.split()))
    if not items:
        raise ProfileError(f"{path.name}: '{key}' must not be empty")
    return tuple(dict.fromkeys(items))  # each once, first position kept


def parse_profile(path: Path, known: frozenset[str]) -> dict:
    """Read and check one profile file; returns ``{acronym, summary, fields, problems}``."""
    stem = path.stem
    if stem not in known:
        raise ProfileError(
            f"{path.name}: unknown institute acronym '{stem}' "
            f"(known: {', '.join(sorted(known, key=str.lower))})"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path.name}: not UTF-8 ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path.name}: not valid TOML ({exc})") from exc
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise ProfileError(f"{path.name}: missing {', '.join(missing)}")
    unknown = sorted(set(data) - set(REQUIRED_KEYS))
    if unknown:
        raise ProfileError(
            f"{path.name}: unknown keys {', '.join(unknown)} (allowed: {', '.join(REQUIRED_KEYS)})"
        )
    if data["acronym"] != stem:
        raise ProfileError(
            f"{path.name}: acronym '{data['acronym']}' does not match the file name '{stem}'"
        )
    summary = data["summary"]
    if not isinstance(summary, str) or not summary.strip():
        raise ProfileError(f"{path.name}: 'summary' must be a non-empty string")
    return {
        "acronym": stem,
        "summary": " ".join(summary.split()),
        "fields": _string_list(path, data, "fields"),
        "problems": _string_list(path, data, "problems"),
    }


def load_institutes(directory: Path | None = None) -> tuple[Institute, ...]:
    """Every reference institute with its profile (if there is a file for it).

    Raises :class:`ProfileError` for a file that cannot be used: an unknown acronym, a
    missing or unknown key, an empty list, an acronym that does not match the file name.
    """
    directory = Path(directory) if directory is not None else profiles_dir()
    known = known_acronyms()
    profiles: dict[str, dict] = {}
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if path.suffix != ".toml" or path.name.startswith("."):
                continue
            profile = parse_profile(path, known)
            profiles[profile["acronym"]] = profile
    elif directory.exists():
        raise ProfileError(f"{directory}: not a directory")
    institutes = []
    for ref in reference_institutes():
        profile = profiles.get(ref.acronym, {})
        institutes.append(
            Institute(
                acronym=ref.acronym,
                name=ref.name,
                name_en=ref.name_en,
                affiliated_to=ref.affiliated_to,
                reference_fields=ref.fields,
                summary=profile.get("summary", ""),
                fields=profile.get("fields", ()),
                problems=profile.get("problems", ()),
            )
        )
    return tuple(institutes)


def content_hash(institutes: tuple[Institute, ...]) -> str:
    """A hash of everything the recommender reads from the institutes."""
    payload = json.dumps(
        [
            [i.acronym, i.name, i.reference_fields, i.summary, i.fields, i.problems]
            for i in institutes
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
