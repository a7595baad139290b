from tests.conftest import Org


async def test_me_returns_the_caller(team: Org) -> None:
    body = await team.gql("{ me { id name email manager { name } orgUnit { name } } }", as_="alice")
    assert body == {
        "data": {
            "me": {
                "id": body["data"]["me"]["id"],
                "name": "Alice Anders",
                "email": f"alice@{team.slug}.example",
                "manager": {"name": "Max Manager"},
                "orgUnit": None,
            }
        }
    }
