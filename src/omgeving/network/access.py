"""Who may see what: authorisation + relation path + dates.

`may_see(viewer, subject)` answers, for every category, whether the viewer may see it of the
subject, and why (the relation paths). The tables below are the single source: docs/access.md
shows them as rendered by `render_tables()`, and a test fails when the two differ.

A path runs through one client C: the viewer's relation to C (or the viewer is C) and the
subject's relation to C (or the subject is C). Direct relations and group relations count
while active on the day asked (end dates inclusive); ended ones grant nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date

from omgeving.accounts.models import Role, User

from .models import GroupClient, GroupMember, Relation, today

CATEGORIES = (
    "identity", "contact", "birth_date", "bsn", "network",
    "messages", "appointments", "goals", "reports", "documents",
)
CONTENT = ("messages", "appointments", "goals", "reports", "documents")
CATEGORY_TEXT = {
    "identity": "names, display name, username",
    "contact": "e-mail, phone, address",
    "birth_date": "date of birth",
    "bsn": "citizen service number",
    "network": "who else is in the client's network",
    "messages": "messages around the client",
    "appointments": "the agenda",
    "goals": "goals and their progress",
    "reports": "reports and diary entries",
    "documents": "files shared around the client",
}

# What a viewer sees of the CLIENT they relate to, by their authorisation towards that client.
ABOUT_THE_CLIENT = {
    Role.COUNSELOR: ("identity", "contact", "birth_date", "network", *CONTENT),
    Role.COUNSELOR_PLUS: ("identity", "contact", "birth_date", "bsn", "network", *CONTENT),
    Role.GUARDIAN: ("identity", "contact", "birth_date", "network", "messages",
                    "appointments", "goals"),
    Role.EXTERNAL: ("identity", "network", "messages", "appointments"),
}

# What a viewer sees of ANOTHER MEMBER of the same client's network (an indirect relation),
# by the viewer's role there (CLIENT: the viewer is that client) and the member's role.
# Everyone sees who else is in the network; professionals' contact details are for everyone
# in it; other members' contact details only for professionals.
_PRO = ("identity", "contact")
_ID = ("identity",)
ABOUT_ANOTHER_MEMBER = {
    Role.CLIENT: {Role.COUNSELOR: _PRO, Role.COUNSELOR_PLUS: _PRO, Role.GUARDIAN: _ID,
                  Role.EXTERNAL: _ID},
    Role.COUNSELOR: {Role.COUNSELOR: _PRO, Role.COUNSELOR_PLUS: _PRO, Role.GUARDIAN: _PRO,
                     Role.EXTERNAL: _PRO},
    Role.COUNSELOR_PLUS: {Role.COUNSELOR: _PRO, Role.COUNSELOR_PLUS: _PRO, Role.GUARDIAN: _PRO,
                          Role.EXTERNAL: _PRO},
    Role.GUARDIAN: {Role.COUNSELOR: _PRO, Role.COUNSELOR_PLUS: _PRO, Role.GUARDIAN: _ID,
                    Role.EXTERNAL: _ID},
    Role.EXTERNAL: {Role.COUNSELOR: _PRO, Role.COUNSELOR_PLUS: _PRO, Role.GUARDIAN: _ID,
                    Role.EXTERNAL: _ID},
}

# Beyond seeing: COUNSELOR_PLUS may manage the client's network (add and end relations).
CAPABILITIES = {Role.COUNSELOR_PLUS: ("manage_network",)}


@dataclass(frozen=True)
class Path:
    """One person's relation to one client, directly or through a group."""

    client_id: int
    person_id: int
    authorisation: str
    via: str  # "direct" or "group"
    start_date: date
    end_date: date | None
    relation_id: int | None = None
    group_id: int | None = None
    group_name: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _direct(queryset) -> list[Path]:
    return [Path(r.client_id, r.person_id, r.authorisation, "direct", r.start_date,
                 r.end_date, relation_id=r.pk) for r in queryset]


def _group_paths(memberships, group_clients) -> list[Path]:
    by_group = defaultdict(list)
    for entry in group_clients:
        by_group[entry.group_id].append(entry)
    paths = []
    for member in memberships:
        for entry in by_group[member.group_id]:
            ends = [e for e in (member.end_date, entry.end_date) if e is not None]
            paths.append(Path(entry.client_id, member.user_id, member.role, "group",
                              max(member.start_date, entry.start_date),
                              min(ends) if ends else None,
                              group_id=member.group_id, group_name=member.group.name))
    return paths


def paths_of_person(person: User, day: date | None = None) -> list[Path]:
    """The person's active relations to clients (direct and through groups). Deactivated
    people neither give nor get access: a path counts only while both ends are active."""
    org, day = person.organization, day or today()
    if not person.is_active:
        return []
    direct = Relation.objects.for_organization(org).active_on(day).filter(
        person=person, client__is_active=True)
    memberships = list(GroupMember.objects.for_organization(org).active_on(day)
                       .filter(user=person).select_related("group"))
    clients = GroupClient.objects.for_organization(org).active_on(day).filter(
        group_id__in=[m.group_id for m in memberships], client__is_active=True) \
        if memberships else []
    return _direct(direct) + _group_paths(memberships, clients)


def paths_to_client(client: User, day: date | None = None) -> list[Path]:
    """Everyone's active relations to this client: the client's network (active people)."""
    org, day = client.organization, day or today()
    if not client.is_active:
        return []
    direct = Relation.objects.for_organization(org).active_on(day).filter(
        client=client, person__is_active=True)
    entries = list(GroupClient.objects.for_organization(org).active_on(day).filter(client=client))
    members = GroupMember.objects.for_organization(org).active_on(day).filter(
        group_id__in=[e.group_id for e in entries], user__is_active=True
    ).select_related("group") if entries else []
    return _direct(direct) + _group_paths(members, entries)


@dataclass
class NetworkEntry:
    """One client in a person's network: the person's own paths to that client (None: the
    person is the client) and everyone else's paths to them."""

    client_id: int
    own: list[Path | None]
    others: list[Path]


def network_of(user: User, day: date | None = None) -> list[NetworkEntry]:
    """The one computation behind both `/users/{id}/network/` and `may_see`."""
    day = day or today()
    if user.authorisation == Role.CLIENT:
        own: dict[int, list] = {user.pk: [None]} if user.is_active else {}
    else:
        own = defaultdict(list)
        for path in paths_of_person(user, day):
            own[path.client_id].append(path)
    entries = []
    for client_id in sorted(own):
        client = user if client_id == user.pk else User(
            pk=client_id, organization=user.organization, is_active=True)
        others = [p for p in paths_to_client(client, day) if p.person_id != user.pk]
        entries.append(NetworkEntry(client_id, own[client_id], others))
    return entries


def network_document(user: User, summarise, day: date | None = None) -> tuple[dict, list]:
    """The answer of `/users/{id}/network/` from `network_of` (the computation `may_see`
    uses too): each client with the user's path and everyone else's. `summarise(person)`
    renders a person. Returns the document and the persons it shows."""
    network = network_of(user, day)
    ids = {e.client_id for e in network} | {p.person_id for e in network for p in e.others}
    persons = {user.pk: user, **{p.pk: p for p in User.objects.for_organization(
        user.organization).filter(pk__in=ids)}}
    summary = {pk: summarise(p) for pk, p in persons.items()}
    clients = [
        {"client": summary[entry.client_id], "path": path and path.as_dict(),
         "network": [{"person": summary[p.person_id], "path": p.as_dict()}
                     for p in entry.others]}
        for entry in network for path in entry.own
    ]
    return {"user": summary[user.pk], "clients": clients}, list(persons.values())


@dataclass
class Access:
    categories: dict[str, bool]
    capabilities: list[str]
    reasons: list[dict]

    @property
    def granted(self) -> list[str]:
        return [c for c in CATEGORIES if self.categories[c]]


def may_see(viewer: User, subject: User, day: date | None = None) -> Access:
    day = day or today()
    granted: set[str] = set()
    capabilities: set[str] = set()
    reasons: list[dict] = []
    if viewer.organization_id != subject.organization_id:
        return Access({c: False for c in CATEGORIES}, [], [])
    if viewer.pk == subject.pk:
        return Access({c: True for c in CATEGORIES}, [], [{"kind": "self"}])
    if not subject.is_active:
        return Access({c: False for c in CATEGORIES}, [], [])

    for entry in network_of(viewer, day):
        subject_paths = [p for p in entry.others if p.person_id == subject.pk]
        for viewer_path in entry.own:
            viewer_role = Role.CLIENT if viewer_path is None else viewer_path.authorisation
            if entry.client_id == subject.pk and viewer_path is not None:
                granted |= set(ABOUT_THE_CLIENT[viewer_role])
                capabilities |= set(CAPABILITIES.get(viewer_role, ()))
                reasons.append({"kind": "relation", "client_id": entry.client_id,
                                "viewer_path": viewer_path.as_dict()})
            for subject_path in subject_paths:
                granted |= set(ABOUT_ANOTHER_MEMBER[viewer_role][subject_path.authorisation])
                reasons.append({"kind": "indirect", "client_id": entry.client_id,
                                "viewer_path": viewer_path and viewer_path.as_dict(),
                                "subject_path": subject_path.as_dict()})
    return Access({c: c in granted for c in CATEGORIES}, sorted(capabilities), reasons)


def render_tables() -> str:
    """The access tables as Markdown (docs/access.md embeds exactly this)."""
    roles = [Role.COUNSELOR, Role.COUNSELOR_PLUS, Role.GUARDIAN, Role.EXTERNAL]
    lines = ["**About the client they relate to** (by the viewer's authorisation towards "
             "that client):", "",
             "| category | " + " | ".join(r.value for r in roles) + " |",
             "|---|" + "---|" * len(roles)]
    for category in CATEGORIES:
        marks = ["yes" if category in ABOUT_THE_CLIENT[r] else "—" for r in roles]
        lines.append(f"| {category} ({CATEGORY_TEXT[category]}) | " + " | ".join(marks) + " |")
    viewers = [Role.CLIENT, *roles]
    lines += ["", "**About another member of the same client's network** (indirect relation; "
              "rows: the viewer's role, columns: the member's role):", "",
              "| viewer \\ member | " + " | ".join(r.value for r in roles) + " |",
              "|---|" + "---|" * len(roles)]
    for viewer in viewers:
        cells = [", ".join(ABOUT_ANOTHER_MEMBER[viewer][r]) for r in roles]
        lines.append(f"| {viewer.value} | " + " | ".join(cells) + " |")
    lines += ["", "**Capabilities**: " + "; ".join(
        f"{role.value}: {', '.join(caps)}" for role, caps in CAPABILITIES.items()) + ".",
        "", "**Oneself**: every category."]
    return "\n".join(lines) + "\n"
