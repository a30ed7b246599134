// Send the Host header when the variable is set (a server reached by IP address).
const host = pm.variables.get('host');
if (host) { pm.request.headers.upsert({ key: 'Host', value: host }); }

// Keep a valid token: log in with username and password when there is none, renew it with
// itself when it is older than 4.5 minutes (tokens live 5; a renewal is not a password login,
// which is limited to 10 per user per 5 minutes). Requests marked noauth (the token
// endpoints) skip this.
const anonymous = pm.request.auth && pm.request.auth.type === 'noauth';
const issued = Number(pm.collectionVariables.get('tokenIssuedAt') || 0);
const token = pm.variables.get('token');
const age = Date.now() - issued;
if (!anonymous && !(token && age < 270000)) {
const renew = token && age < 300000;
pm.sendRequest({
  url: pm.variables.get('baseUrl') + (renew ? '/api/token-refresh/' : '/api/token-auth/'),
  method: 'POST',
  header: Object.assign({ 'Content-Type': 'application/json' }, host ? { Host: host } : {}),
  body: { mode: 'raw', raw: JSON.stringify(renew ? { token: token } : {
    username: pm.variables.get('username'), password: pm.variables.get('password') }) }
}, function (err, res) {
  if (err || res.code !== 200) { throw new Error('Could not get a token: ' + (err || res.code)); }
  pm.collectionVariables.set('token', res.json().token);
  pm.collectionVariables.set('tokenIssuedAt', String(Date.now()));
});
}
