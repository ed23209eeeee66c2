async def test_me(api):
    r = await api("GET", "users/me")
    assert r.status == 200, r
    assert r.json()["username"] == "alice"
