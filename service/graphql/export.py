"""Print the schema's SDL: ``python -m service.graphql.export > schema.graphql``."""

from service.graphql.schema import schema


def sdl() -> str:
    return schema.as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
