"""docs/cli.md is generated from the Typer app; this fails when it is stale."""

from tvgcurate import docs_cli


def test_cli_reference_is_up_to_date():
    text = docs_cli.render()
    assert docs_cli.DOC.read_text(encoding="utf-8") == text, (
        "docs/cli.md is stale: run `.venv/bin/python -m tvgcurate.docs_cli`"
    )


def test_reference_lists_every_command_and_option():
    import typer

    from tvgcurate.cli import app

    text = docs_cli.render()
    root = typer.main.get_command(app)
    for name, cmd in root.commands.items():
        assert f"`tvgcurate {name}`" in text
        for p in getattr(cmd, "params", []):
            if getattr(p, "hidden", False):  # deprecated aliases stay out of the page
                continue
            for opt in getattr(p, "opts", []):
                if opt.startswith("--"):
                    assert f"`{opt}`" in text, (name, opt)
    assert "newlines (default 'error')" in text  # export's format options are in the page
