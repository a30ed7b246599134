"""A trigram index for `?search=` on people (see accounts/search.py), per database."""

from django.db import migrations

from omgeving.accounts import search


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_versions")]

    operations = [migrations.RunPython(search.create_index, search.drop_index)]
