"""The README documents every setting and command a newcomer meets."""

from pathlib import Path

from pydantic import BaseModel

from service.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def env_names(model: type[BaseModel], prefix: str) -> list[str]:
    names = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [n for n in env_names(Settings, "CAREERPATH_") if f"`{n}`" not in README]
    assert missing == []


def test_the_two_setup_commands_are_there() -> None:
    assert "uv run careerpath serve --demo" in README
    assert "uv run pytest" in README
