"""factory_boy factories for tests. Parties are created through the services so tests exercise real rules."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from clientela.accounts.models import Role, Team, User
from clientela.core.actor import Actor, Source


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@clientela.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = factory.LazyFunction(lambda: Role.objects.get(slug="administrator"))
    password = factory.PostGenerationMethodCall("set_password", "pw-Clientela-1")

    @factory.post_generation
    def teams(self, create: bool, extracted: list[Team] | None, **kwargs: object) -> None:
        if create and extracted:
            self.teams.set(extracted)
        if create:
            self.save()


def actor_for(user: User | None, source: str = Source.UI) -> Actor:
    return Actor(user=user, source=source) if user is not None else Actor.system("tests", source=Source.CLI)


def make_person(user: User | None = None, contact_points: list[dict] | None = None, **data: object):
    """A person created through ``party_create`` (owner defaults to ``user``)."""
    from clientela.parties.services import party_create

    fields = {
        "kind": "person",
        "given_names": "Ana",
        "family_name_1": "García",
        "family_name_2": "López",
        **data,
    }
    return party_create(actor=actor_for(user), data=fields, contact_points=contact_points or [])


def make_organisation(user: User | None = None, contact_points: list[dict] | None = None, **data: object):
    from clientela.parties.services import party_create

    fields = {"kind": "organisation", "legal_name": "Industrias Ejemplo S.L.", **data}
    return party_create(actor=actor_for(user), data=fields, contact_points=contact_points or [])
