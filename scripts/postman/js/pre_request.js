// Send the Host header when the variable is set (a server reached by IP address).
const host = pm.variables.get('host');
if (host) { pm.request.headers.upsert({ key: 'Host', value: host }); }

// Keep a valid token: get one with username and password when there is none or it is older
// than 4.5 minutes (tokens live 5). Requests marked noauth (the token endpoints) skip this.
const anonymous = pm.request.auth && pm.request.auth.type === 'noauth';
const issued = Number(pm.collectionVariables.get('tokenIssuedAt') || 0);
const fresh = pm.variables.get('token') && Date.now() - issued < 270000;
if (!anonymous && !fresh) {
pm.sendRequest({
  url: pm.variables.get('baseUrl') + '/api/token-auth/',
  method: 'POST',
  header: Object.assign({ 'Content-Type': 'application/json' }, host ? { Host: host } : {}),
  body: { mode: 'raw', raw: JSON.stringify({
    username: pm.variables.get('username'), password: pm.variables.get('password') }) }
}, function (err, res) {
  if (err || res.code !== 200) { throw new Error('Could not get a token: ' + (err || res.code)); }
  pm.collectionVariables.set('token', res.json().token);
  pm.collectionVariables.set('tokenIssuedAt', String(Date.now()));
});
}
