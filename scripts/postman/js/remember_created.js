if (pm.response.code === 201) { pm.collectionVariables.set('__VARIABLE__', String(pm.response.json().id)); }
if (pm.response.code === 201 && pm.response.json().token) { pm.collectionVariables.set('invitationToken', pm.response.json().token); }
