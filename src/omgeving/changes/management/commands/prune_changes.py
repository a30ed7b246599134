"""`omgeving prune_changes`: delete change-feed events older than OMGEVING_CHANGES_RETENTION."""

from django.core.management.base import BaseCommand

from omgeving.changes.services import prune


class Command(BaseCommand):
    help = "Delete change-feed events older than the retention (OMGEVING_CHANGES_RETENTION)."

    def handle(self, *args, **options):
        self.stdout.write(f"pruned {prune()} event(s)")
