pm.test('200 with a JWT that lives 300 seconds', function () {
  pm.response.to.have.status(200);
  const body = pm.response.json();
  pm.expect(body.token_type).to.eql('JWT');
  pm.expect(body.expires_in).to.eql(300);
  pm.expect(body.token.split('.').length).to.eql(3);
  pm.collectionVariables.set('token', body.token);
  pm.collectionVariables.set('tokenIssuedAt', String(Date.now()));
});
