"""The package's public surface: a sorted __all__, every name importable, nothing private."""

from __future__ import annotations

import hiloop


def test_all_is_sorted_and_every_name_is_exported() -> None:
    assert hiloop.__all__ == sorted(hiloop.__all__)
    for name in hiloop.__all__:
        assert hasattr(hiloop, name), name
        assert not name.startswith("_") or name == "__version__"


def test_the_public_classes_say_they_belong_to_the_hiloop_package() -> None:
    for name in hiloop.__all__:
        member = getattr(hiloop, name)
        if not (isinstance(member, type) or callable(member)) or name == "Component":
            continue  # __version__, and Component (an Annotated union)
        module = member.__module__
        assert module.startswith("hiloop"), (name, module)


def test_the_clients_of_the_interfaces_document_are_importable_from_the_top() -> None:
    from hiloop import AsyncHiloopClient, GuestClient, HiloopClient, OwnerClient  # noqa: F401
