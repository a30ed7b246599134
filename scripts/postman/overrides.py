"""What no schema can say: bodies that need the collection's own state, and answers that
are meant. A new resource needs an entry here only if it has such a quirk."""

# The invitation names the client made in Getting started; accepting and declining take the
# token the invitation's answer carried.
# Content is written on behalf of a person (`author`): the collection's client, who may write
# every category about themselves, except professional reports (a diary entry instead).
# Appointments need their times; the participants are the client.
_WHEN = {"starts_at": "2030-01-07T09:00:00Z", "ends_at": "2030-01-07T10:00:00Z"}
_APPOINTMENT = {"client": "@@clientId@@", "author": "@@clientId@@", "title": "Intake",
                "participants": ["@@clientId@@"], **_WHEN}
_DIARY = {"client": "@@clientId@@", "author": "@@clientId@@", "kind": "diary",
          "title": "Dagboek", "body": "Een goede dag."}
# The collection logs in with the password once (Getting started) and for the two login
# operations; every renewal posts the token (a password login counts against the limit of 10
# per user per 5 minutes, a renewal does not), so it can run several times in a row.
BODIES = {
    "POST /api/token-refresh/": {"token": "{{token}}"},
    "POST /api/api-token-refresh/": {"token": "{{token}}"},
    "POST /api/appointments/": _APPOINTMENT,
    "PUT /api/appointments/{id}/": _APPOINTMENT,
    "PUT /api/appointments/external/{external_id}/": _APPOINTMENT,
    "POST /api/reports/": _DIARY,
    "PUT /api/reports/{id}/": _DIARY,
    "PUT /api/reports/external/{external_id}/": _DIARY,
    "POST /api/invitations/": {"kind": "network", "client": "@@clientId@@",
                               "email": "new.person@example.org", "authorisation": "EXTERNAL"},
    "POST /api/invitations/accept/": {"token": "{{invitationToken}}"},
    "POST /api/invitations/decline/": {"token": "{{invitationToken}}"},
    # An address, not a name: the URL is checked (and a name resolved) when subscribing.
    "POST /api/webhooks/": {"url": "https://93.184.216.34/hooks/omgeving",
                            "events": ["users.*", "relations.deleted"],
                            "description": "The ECD's receiver"},
}

# The collection accepts the invitation, so declining with the used token and revoking it
# afterwards are refused; a care status a client has had cannot be deleted; the upserted
# relation joins the collection's client and parent, who already relate (409), and the upserted
# group memberships repeat the running ones of the same persons (409 as well).
DESIGNED = {
    "PUT /api/relations/external/{external_id}/": 409,
    "PUT /api/group-clients/external/{external_id}/": 409,
    "PUT /api/group-members/external/{external_id}/": 409,
    "POST /api/invitations/decline/": 400,
    "POST /api/invitations/{id}/revoke/": 400,
    "DELETE /api/care-statuses/{id}/": 409,
}

# Multipart operations: their form fields (a file by its path, relative to the directory
# newman runs in: the repository).
FORMS = {
    "POST /api/documents/": [
        {"key": "client", "value": "{{clientId}}", "type": "text"},
        {"key": "author", "value": "{{clientId}}", "type": "text"},
        {"key": "title", "value": "Handelingsplan", "type": "text"},
        {"key": "file", "type": "file", "src": "docs/postman/example.pdf"},
    ],
}
