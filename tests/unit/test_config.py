"""Every option is documented, and the README's reference is the generated one."""

from __future__ import annotations

from pathlib import Path

from jupyter_server.extension.application import ExtensionApp

from jupyter_chat_ext.__main__ import config_reference
from jupyter_chat_ext.app import ChatExtApp

README = Path(__file__).parents[2] / "README.md"
BEGIN, END = "<!-- config-reference:begin -->", "<!-- config-reference:end -->"


def test_every_trait_has_help():
    inherited = set(ExtensionApp.class_traits(config=True))
    ours = {n: t for n, t in ChatExtApp.class_traits(config=True).items() if n not in inherited}
    assert len(ours) >= 6
    for name, trait in ours.items():
        assert trait.help and len(trait.help) > 10, f"ChatExtApp.{name} has no help text"


def test_readme_carries_the_generated_reference():
    text = README.read_text()
    assert BEGIN in text and END in text
    section = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert section == config_reference().strip(), (
        "README's configuration reference is stale: run `make docs`"
    )


def test_owners_are_admins_unless_a_hub_shares_a_database(monkeypatch):
    postgres = "postgresql://hub@db/chat"
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert ChatExtApp(db_url=postgres).resolved_owner_is_admin()
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    assert ChatExtApp(db_url="sqlite:///tmp/alice.db").resolved_owner_is_admin()
    assert not ChatExtApp(db_url=postgres).resolved_owner_is_admin()
    assert ChatExtApp(db_url=postgres, owner_is_admin=True).resolved_owner_is_admin()
