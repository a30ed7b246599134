"""The demo organisation that `make run` sets up: idempotent, credentials kept under var/."""

from __future__ import annotations

import datetime
import json
import os
import secrets

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from omgeving.accounts import services as accounts
from omgeving.accounts.grants import Grant
from omgeving.accounts.models import Role, User
from omgeving.accounts.otp import add_totp_device
from omgeving.network import services as network
from omgeving.network.models import Group, GroupClient, GroupMember, Relation, today
from omgeving.tenancy.models import FEATURES, Organization
from omgeving.tenancy.services import create_organization, set_features

DEMO_SLUG = "demo"
USERS = {"admin": [Role.ADMINISTRATOR], "api": [Role.APPLICATION]}
# The worked example of docs/access.md: username → (display name, default authorisation).
PEOPLE = {
    "joost": ("Joost de Vries", Role.CLIENT),
    "lisa": ("Lisa Jansen", Role.CLIENT),
    "ans": ("Ans de Vries", Role.GUARDIAN),
    "tim": ("Tim Bakker", Role.EXTERNAL),
    "pieter": ("Pieter Visser", Role.COUNSELOR),
}


def worked_example(org: Organization) -> dict[str, User]:
    """Joost's network (docs/access.md): his mother Ans (GUARDIAN), his teacher Tim (EXTERNAL,
    ended 30 days ago), and Pieter (COUNSELOR) through the group Team Noord, whose clients are
    Joost and Lisa. Built through the same services as the API and the admin. The people have
    no password: they are not Application users and cannot log in to the API."""
    people = {
        username: accounts.create_user(organization=org, username=username, roles=[role],
                                       display_name=name)
        for username, (name, role) in PEOPLE.items()
    }
    last_month = today() - datetime.timedelta(days=30)
    network.save_relation(Relation(organization=org, client=people["joost"],
                                   person=people["ans"], authorisation=Role.GUARDIAN))
    network.save_relation(Relation(
        organization=org, client=people["joost"], person=people["tim"],
        authorisation=Role.EXTERNAL, start_date=last_month - datetime.timedelta(days=300),
        end_date=last_month))
    team = network.save_group(Group(organization=org, name="Team Noord"))
    network.save_membership(GroupMember(organization=org, group=team, user=people["pieter"]))
    for client in ("joost", "lisa"):
        network.save_membership(GroupClient(organization=org, group=team,
                                            client=people[client]))
    return people


def worked_content(org: Organization, people: dict[str, User]) -> dict[str, object]:
    """Content around Joost and Lisa (docs/access.md, "with content"), written through the
    services of omgeving.care on behalf of the people who may write it."""
    from django.utils import timezone

    from omgeving.care import models as care
    from omgeving.care import services as content

    joost, lisa, ans, pieter = (people[n] for n in ("joost", "lisa", "ans", "pieter"))
    soon = timezone.now().replace(minute=0, second=0, microsecond=0) + \
        datetime.timedelta(days=7)
    made: dict[str, object] = {}
    made["thread"] = content.save_thread(care.MessageThread(
        organization=org, client=joost, author=pieter, subject="Het nieuwe schoolrooster"),
        participants=[ans])
    made["message"] = content.save_message(care.Message(
        organization=org, thread=made["thread"], author=ans,
        body="Dank je, Pieter. Joost fietst voortaan zelf."))
    made["appointment"] = content.save_appointment(care.Appointment(
        organization=org, client=joost, author=pieter, title="Gesprek op school",
        starts_at=soon, ends_at=soon + datetime.timedelta(hours=1), location="De Regenboog"),
        participants=[ans, pieter])
    made["goal"] = content.save_goal(care.Goal(
        organization=org, client=joost, author=pieter, title="Zelf naar school fietsen",
        status="active"))
    made["progress"] = content.save_progress(care.GoalProgress(
        organization=org, goal=made["goal"], author=ans, score=7, note="Drie keer gelukt."))
    made["report"] = content.save_report(care.Report(
        organization=org, client=joost, author=pieter, title="Intake",
        body="Joost vertelt open over school."))
    made["lisa_report"] = content.save_report(care.Report(
        organization=org, client=lisa, author=pieter, title="Intake",
        body="Kennismaking met Lisa."))
    made["lisa_thread"] = content.save_thread(care.MessageThread(
        organization=org, client=lisa, author=pieter, subject="Afspraak maken"))
    return made


def _credentials() -> dict:
    path = settings.VAR_DIR / "demo-credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    creds = {name: secrets.token_urlsafe(15) for name in USERS}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds, fh)
    return creds


@transaction.atomic
def ensure_demo(out) -> None:
    org = Organization.objects.filter(slug=DEMO_SLUG).first()
    if org is None:  # a realistic example: every feature on, Joost's network in place
        org = create_organization(slug=DEMO_SLUG, name="Demo Zorg")
        set_features(org, on=FEATURES)
        worked_content(org, worked_example(org))
    creds = _credentials()
    for username, roles in USERS.items():
        user = User.objects.for_organization(org).filter(username=username).first()
        if user is None:
            user = accounts.create_user(
                organization=org, username=username, roles=roles, password=creds[username],
                display_name=f"Demo {username}",
                grants=Grant.values if Role.APPLICATION in roles else [],
            )
        elif not user.check_password(creds[username]):
            accounts.set_password(user, creds[username])
    admin = User.objects.for_organization(org).get(username="admin")
    device = TOTPDevice.objects.filter(user=admin).first() or add_totp_device(admin)

    features = ", ".join(f"{name} {'on' if org.has_feature(name) else 'off'}"
                         for name in FEATURES)
    network = ("  care network    Joost's, the worked example of docs/access.md: joost and lisa "
               "(clients),\n                  ans (guardian), tim (external, ended), pieter "
               "(counselor, via Team Noord)\n"
               if User.objects.for_organization(org).filter(username="joost").exists() else "")
    port = os.environ.get("OMGEVING_BIND", "127.0.0.1:8000").rsplit(":", 1)[-1]
    base = f"http://{org.host}:{port}"
    out.write(f"""
Omgeving demo organisation '{org.slug}' at {base}/api/

  administrator   {base}/admin/   username: admin   password: {creds['admin']}
                  second factor: add this to an authenticator app (TOTP)
                  {device.config_url}
  application     username: api   password: {creds['api']}   (API access only, every grant)
{network}  features        {features}

The seed's flow, to copy and paste:

  TOKEN=$(curl -s -X POST {base}/api/token-auth/ \\
      -H 'Content-Type: application/json' \\
      -d '{{"username": "api", "password": "{creds['api']}"}}' \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -s {base}/api/users/ -H "Authorization: JWT $TOKEN"
  # five minutes later the same call answers 401 with "code": "token_expired"; refresh:
  TOKEN=$(curl -s -X POST {base}/api/token-refresh/ \\
      -H 'Content-Type: application/json' \\
      -d '{{"username": "api", "password": "{creds['api']}"}}' \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -s {base}/api/users/ -H "Authorization: JWT $TOKEN"

API documentation: {base}/api/docs/
""")
