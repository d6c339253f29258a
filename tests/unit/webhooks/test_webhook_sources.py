"""Loading sources: the example file, errors that name the source and field, secrets kept out of sight."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from herald.notifier.webhooks import SourceConfigError, enabled_source, load_sources, parse_sources

pytestmark = pytest.mark.unit

EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "sources.toml"
EXAMPLE_SECRETS = [
    "gh-new-3f9c1a",
    "gh-old-77b2e0",
    "am-token-5e1d",
    "gf-hmac-91ac",
    "whsec_stripe_9b7d5f3e1c",
]
GITHUB = {"scheme": "github", "secrets": ["s3cr3t-value"]}


def error_for(table: dict[str, Any]) -> str:
    with pytest.raises(SourceConfigError) as caught:
        parse_sources({"sources": {"src": table}})
    assert "s3cr3t-value" not in str(caught.value)
    return str(caught.value)


def test_the_example_file_loads() -> None:
    sources = load_sources(EXAMPLE)
    assert sorted(sources) == ["alerts", "deploys", "github", "grafana", "legacy-ci", "stripe"]
    assert [s.verification.scheme for s in sources.values()] == [
        "github",
        "token",
        "hmac-sha256",
        "stripe",
        "standard-webhooks",
        "hmac-sha256",
    ]
    github = sources["github"]
    assert github.targets == {
        "alice-dev": {"user": "alice"},
        "carol-qa": {"user": "carol@example.com"},
        "dependabot": {"group": "bots"},
        "release-bot": {"broadcast": True},
    }
    assert github.default_target == {"group": "dev"}
    assert sources["stripe"].default_target == {"user": "billing"}
    assert sources["alerts"].verification.credential_headers == {"authorization"}


def test_a_disabled_source_is_represented_but_not_served() -> None:
    sources = load_sources(EXAMPLE)
    assert sources["legacy-ci"].enabled is False
    assert enabled_source(sources, "legacy-ci") is None
    assert enabled_source(sources, "no-such-source") is None
    assert enabled_source(sources, "github") is sources["github"]


def test_secrets_never_show_in_repr_or_dumps() -> None:
    sources = load_sources(EXAMPLE)
    shown = repr(sources) + str(sources) + "".join(s.model_dump_json() for s in sources.values())
    for secret in EXAMPLE_SECRETS:
        assert secret not in shown


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({}, "source 'src': field 'verification': Field required"),
        (
            {"verification": {"scheme": "github", "secrets": []}},
            "field 'verification.secrets': List should have",
        ),
        (
            {"verification": {"scheme": "github", "secrets": [""]}},
            "field 'verification.secrets': a secret may not",
        ),
        ({"verification": {"scheme": "sha1", "secrets": ["x"]}}, "field 'verification': Input tag 'sha1'"),
        ({"verification": {"scheme": "token", "secrets": ["s3cr3t-value"]}}, "field 'verification.header'"),
        (
            {"verification": {"scheme": "standard-webhooks", "secrets": ["whsec_s3cr3t-value!"]}},
            "field 'verification.secrets': a secret is not valid base64",
        ),
        (
            {"verification": {**GITHUB, "tolerance_seconds": 5}},
            "field 'verification.tolerance_seconds': Extra inputs are not permitted",
        ),
        (
            {"verification": {"scheme": "stripe", "secrets": ["s3cr3t-value"], "tolerance_seconds": 0}},
            "field 'verification.tolerance_seconds': Input should be greater than 0",
        ),
        ({"verification": GITHUB, "template": "gitlab"}, "field 'template': Input should be 'github'"),
        ({"verification": GITHUB, "tempalte": "github"}, "field 'tempalte': Extra inputs are not permitted"),
        ({"verification": GITHUB, "enabled": "maybe"}, "field 'enabled': Input should be a valid boolean"),
        ({"verification": GITHUB, "targets": {"bob": 3}}, "field 'targets.bob': a target is a user id"),
        (
            {"verification": GITHUB, "targets": {"bob": "b o b"}},
            "field 'targets.bob': not a valid user target",
        ),
        ({"verification": GITHUB, "default_target": {}}, "field 'default_target': a target is a user id"),
        (
            {"verification": GITHUB, "message": {"body": "{{ payload."}},
            "field 'message.body': template syntax error",
        ),
        ({"verification": GITHUB, "message": {"colour": "red"}}, "field 'message.colour': Extra inputs"),
        (
            {"verification": GITHUB, "identity": "{% if %}"},
            "field 'identity': template syntax error on line 1",
        ),
        (
            {"verification": GITHUB, "delivery_id_path": "a.b", "delivery_id_header": "X-Id"},
            "set delivery_id_header or delivery_id_path, not both",
        ),
        (
            {"verification": GITHUB, "delivery_id_path": "a..b"},
            "field 'delivery_id_path': String should match",
        ),
        ({"verification": GITHUB, "name": "other"}, "field 'name': the name is the table key"),
    ],
)
def test_errors_name_the_source_and_the_field(table: dict[str, Any], expected: str) -> None:
    assert expected in error_for(table)


def test_a_bad_source_name_is_refused() -> None:
    with pytest.raises(SourceConfigError, match="source 'a b': field 'name': String should match"):
        parse_sources({"sources": {"a b": {"verification": GITHUB}}})


def test_unknown_top_level_keys_are_refused() -> None:
    with pytest.raises(SourceConfigError, match="unknown top-level keys: github"):
        parse_sources({"github": {"verification": GITHUB}})


def test_unreadable_files_say_which_file_and_where(tmp_path: Path) -> None:
    broken = tmp_path / "sources.toml"
    broken.write_text('[sources.github]\nverification = { scheme = "github", secrets = ["s3cr3t-value"] \n')
    with pytest.raises(SourceConfigError, match=r"sources\.toml.*line 2") as caught:
        load_sources(broken)
    assert "s3cr3t-value" not in str(caught.value)
    with pytest.raises(SourceConfigError, match="cannot read webhook sources"):
        load_sources(tmp_path / "missing.toml")


def test_file_errors_name_the_file_and_the_source(tmp_path: Path) -> None:
    invalid = tmp_path / "sources.toml"
    invalid.write_text('[sources.github]\nverification = { scheme = "github", secrets = [] }\n')
    with pytest.raises(
        SourceConfigError, match=r"sources\.toml: source 'github': field 'verification.secrets'"
    ):
        load_sources(invalid)


def test_header_names_are_stored_lowercased() -> None:
    source = parse_sources(
        {"sources": {"s": {"verification": {"scheme": "token", "header": "X-Token", "secrets": ["t"]}}}}
    )["s"]
    assert source.verification.credential_headers == {"x-token"}
