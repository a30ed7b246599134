"""What no schema can say: bodies that need the collection's own state, and answers that
are meant. A new resource needs an entry here only if it has such a quirk."""

# The invitation names the client made in Getting started; accepting and declining take the
# token the invitation's answer carried.
BODIES = {
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
